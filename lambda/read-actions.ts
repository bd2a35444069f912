/**
 * Reads the live forward actions the controller steers: listeners' default actions
 * (DescribeListeners) and rules' actions (DescribeRules), both paged, and finds in each the
 * weighted forward action and its weights in the configuration's target group order.
 */
import {
  Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { SteeredAction } from './contract';

/** The ELB API accepts a handful of ARNs per call; 20 keeps each request small. */
const ARNS_PER_CALL = 20;

export interface LiveTargetGroupWeight {
  readonly targetGroupArn: string;
  readonly weight: number;
}

export interface LiveAction {
  readonly actionId: string;
  readonly kind: 'listener' | 'rule';
  /** The listener ARN for a default action, the rule ARN for a rule. */
  readonly arn: string;
  /** The entire action list as read; a write sends it all back. */
  readonly actions: readonly Action[];
  /** Index of the forward action in `actions`, or -1 when there is none. */
  readonly forwardIndex: number;
  /** The forward action's target groups and weights, in the order AWS lists them. */
  readonly liveGroups: readonly LiveTargetGroupWeight[];
  /** Weights in the configuration's target group order; 0 for a group not in the action. */
  readonly weights: readonly number[];
  /** Why the action cannot be steered as configured (a group removed or added), or undefined. */
  readonly mismatch: string | undefined;
}

/** The target groups of a forward action; a group without `Weight` counts as weight 1. */
export function forwardTargetGroups(action: Action): LiveTargetGroupWeight[] {
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length > 0) {
    return tuples.map((t) => ({ targetGroupArn: t.TargetGroupArn ?? '', weight: t.Weight ?? 1 }));
  }
  return action.TargetGroupArn ? [{ targetGroupArn: action.TargetGroupArn, weight: 1 }] : [];
}

/** Interprets one action list against the configuration of the action steered through it. */
export function interpretActions(
  config: SteeredAction,
  arn: string,
  actions: readonly Action[],
): LiveAction {
  const kind = config.ruleArn ? 'rule' : 'listener';
  const forwardIndex = actions.findIndex((a) => a.Type === 'forward');
  const liveGroups = forwardIndex >= 0 ? forwardTargetGroups(actions[forwardIndex]) : [];
  const byArn = new Map(liveGroups.map((g) => [g.targetGroupArn, g.weight]));
  const weights = config.targetGroups.map((tg) => byArn.get(tg.targetGroupArn) ?? 0);
  const base = {
    actionId: config.id,
    kind,
    arn,
    actions,
    forwardIndex,
    liveGroups,
    weights,
  } as const;

  if (forwardIndex < 0) {
    return { ...base, mismatch: `${kind} ${arn} has no forward action` };
  }
  const configured = new Set(config.targetGroups.map((tg) => tg.targetGroupArn));
  const missing = config.targetGroups.filter((tg) => !byArn.has(tg.targetGroupArn));
  const extra = liveGroups.filter((g) => !configured.has(g.targetGroupArn));
  if (missing.length > 0) {
    const names = missing.map((tg) => `${tg.label} (${tg.targetGroupArn})`).join(', ');
    return { ...base, mismatch: `target group ${names} is no longer in the forward action` };
  }
  if (extra.length > 0) {
    const names = extra.map((g) => g.targetGroupArn).join(', ');
    return {
      ...base,
      mismatch: `the forward action also routes to ${names}, which the configuration does not name`,
    };
  }
  return { ...base, mismatch: undefined };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function describeListenerActions(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArns: readonly string[],
  retry: RetryPolicy,
): Promise<Map<string, Action[]>> {
  const found = new Map<string, Action[]>();
  for (const batch of chunks(listenerArns, ARNS_PER_CALL)) {
    let marker: string | undefined;
    do {
      const page = await callAws(
        'DescribeListeners',
        () => elbv2.send(new DescribeListenersCommand({ ListenerArns: batch, Marker: marker })),
        retry,
      );
      for (const l of page.Listeners ?? []) found.set(l.ListenerArn ?? '', l.DefaultActions ?? []);
      marker = page.NextMarker;
    } while (marker);
  }
  return found;
}

async function describeRuleActions(
  elbv2: ElasticLoadBalancingV2Client,
  ruleArns: readonly string[],
  retry: RetryPolicy,
): Promise<Map<string, Action[]>> {
  const found = new Map<string, Action[]>();
  for (const batch of chunks(ruleArns, ARNS_PER_CALL)) {
    let marker: string | undefined;
    do {
      const page = await callAws(
        'DescribeRules',
        () => elbv2.send(new DescribeRulesCommand({ RuleArns: batch, Marker: marker })),
        retry,
      );
      for (const r of page.Rules ?? []) found.set(r.RuleArn ?? '', r.Actions ?? []);
      marker = page.NextMarker;
    } while (marker);
  }
  return found;
}

/** Reads every configured action; a listener or rule that AWS does not return fails the read. */
export async function readLiveActions(
  elbv2: ElasticLoadBalancingV2Client,
  configs: readonly SteeredAction[],
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<LiveAction[]> {
  const listenerArns = [...new Set(configs.filter((c) => !c.ruleArn).map((c) => c.listenerArn))];
  const ruleArns = [...new Set(configs.flatMap((c) => (c.ruleArn ? [c.ruleArn] : [])))];
  const listeners = listenerArns.length
    ? await describeListenerActions(elbv2, listenerArns, retry)
    : new Map();
  const rules = ruleArns.length ? await describeRuleActions(elbv2, ruleArns, retry) : new Map();

  return configs.map((config) => {
    const arn = config.ruleArn ?? config.listenerArn;
    const actions = (config.ruleArn ? rules : listeners).get(arn);
    if (!actions) {
      throw new Error(
        `action "${config.id}": ${config.ruleArn ? 'rule' : 'listener'} ${arn} was not returned by AWS; check the ARN in the configuration`,
      );
    }
    return interpretActions(config, arn, actions);
  });
}

/** Reads one action again, just before writing it. */
export async function readLiveAction(
  elbv2: ElasticLoadBalancingV2Client,
  config: SteeredAction,
  retry: RetryPolicy = defaultRetryPolicy,
): Promise<LiveAction> {
  const [live] = await readLiveActions(elbv2, [config], retry);
  return live;
}
