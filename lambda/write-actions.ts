/**
 * Writes new weights into a listener's default action or a rule's actions: ModifyListener /
 * ModifyRule with the entire action list, every other field preserved. It re-reads the action
 * just before writing and skips it when it changed since the run read it (another run or a person
 * got there first), then reads it back to verify.
 */
import {
  Action,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { MAX_TARGET_GROUPS_PER_ACTION, MAX_WEIGHT, SteeredAction } from './contract';
import { LiveAction, readLiveAction } from './read-actions';

/**
 * The action list to send: `live.actions` with only the forward action's target groups and
 * weights replaced. Stickiness, other actions and their order stay as they are.
 */
export function buildActions(
  config: SteeredAction,
  live: LiveAction,
  weights: readonly number[],
): Action[] {
  if (live.forwardIndex < 0) {
    throw new Error(
      `action "${config.id}": ${live.kind} ${live.arn} has no forward action to weight`,
    );
  }
  return live.actions.map((action, i) => {
    const copy = structuredClone(action);
    if (i !== live.forwardIndex) return preserveSecrets(copy);
    // AWS rejects a TargetGroupArn beside a ForwardConfig that lists several groups.
    delete copy.TargetGroupArn;
    copy.ForwardConfig = {
      ...copy.ForwardConfig,
      TargetGroups: config.targetGroups.map((tg, n) => ({
        TargetGroupArn: tg.targetGroupArn,
        Weight: weights[n],
      })),
    };
    return copy;
  });
}

/** Describe calls omit the OIDC client secret; sending the action back must say to keep it. */
function preserveSecrets(action: Action): Action {
  if (action.AuthenticateOidcConfig && action.AuthenticateOidcConfig.ClientSecret === undefined) {
    action.AuthenticateOidcConfig.UseExistingClientSecret = true;
  }
  return action;
}

/**
 * Checks an action list against AWS's rules for weighted forward actions; throws naming the
 * property, the received value and the rule.
 */
export function validateActions(actions: readonly Action[]): void {
  actions.forEach((action, i) => {
    if (action.Type !== 'forward') return;
    const groups = action.ForwardConfig?.TargetGroups ?? [];
    const path = `actions[${i}].ForwardConfig.TargetGroups`;
    if (groups.length > MAX_TARGET_GROUPS_PER_ACTION) {
      throw new Error(
        `${path} has ${groups.length} entries; a forward action has at most ${MAX_TARGET_GROUPS_PER_ACTION} target groups`,
      );
    }
    if (groups.length > 1 && action.TargetGroupArn !== undefined) {
      throw new Error(
        `actions[${i}].TargetGroupArn is ${action.TargetGroupArn}; it must be unset beside a ForwardConfig with several target groups`,
      );
    }
    groups.forEach((g, n) => {
      const w = g.Weight;
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > MAX_WEIGHT) {
        throw new Error(
          `${path}[${n}].Weight is ${String(w)}; a weight must be an integer from 0 to ${MAX_WEIGHT}`,
        );
      }
    });
    if (groups.length > 0 && groups.every((g) => g.Weight === 0)) {
      throw new Error(
        `${path} weights are all 0; at least one target group must have a weight above 0`,
      );
    }
  });
}

export type WriteOutcome =
  /** Written and read back with the new weights. */
  | { readonly status: 'written'; readonly weights: number[] }
  /** Not written: the action changed between the run's read and the write. */
  | { readonly status: 'skipped-concurrent-change'; readonly weights: number[] };

/** Writes `weights` (configuration order) into the action read as `live`. */
export async function writeWeights(
  elbv2: ElasticLoadBalancingV2Client,
  config: SteeredAction,
  live: LiveAction,
  weights: readonly number[],
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<WriteOutcome> {
  const actions = buildActions(config, live, weights);
  validateActions(actions);

  const now = await readLiveAction(elbv2, config, retry);
  if (JSON.stringify(now.actions) !== JSON.stringify(live.actions)) {
    return { status: 'skipped-concurrent-change', weights: [...now.weights] };
  }

  if (live.kind === 'listener') {
    await callAws(
      'ModifyListener',
      () =>
        elbv2.send(new ModifyListenerCommand({ ListenerArn: live.arn, DefaultActions: actions })),
      retry,
    );
  } else {
    await callAws(
      'ModifyRule',
      () => elbv2.send(new ModifyRuleCommand({ RuleArn: live.arn, Actions: actions })),
      retry,
    );
  }

  const after = await readLiveAction(elbv2, config, retry);
  if (after.weights.some((w, n) => w !== weights[n]) || after.mismatch) {
    throw new Error(
      `action "${config.id}": read back weights [${after.weights.join(', ')}] after writing [${weights.join(', ')}] to ${live.kind} ${live.arn}`,
    );
  }
  return { status: 'written', weights: [...weights] };
}
