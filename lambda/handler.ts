/**
 * The controller Lambda: every minute it reads its configuration, the live forward actions, target
 * health, CloudWatch metrics and alarm states, lets the decision step choose weights, and writes
 * them. Invoked with a command it tunes by hand instead (see `invoke.ts`).
 *
 * `createHandler` wires SDK clients, the clock, the policies and the configuration source to the
 * steps, so tests, the simulator and a bundle with a custom policy each pass their own.
 *
 * @example
 * // A bundle entry that adds a custom policy (configuration `policy.name` "custom"):
 * import { createHandler } from './handler';
 * import { myPolicy } from './my-policy';
 * export const handler = createHandler({ policies: { custom: myPolicy } });
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { defaultRetryPolicy, RetryPolicy } from './aws-call';
import { loadConfig, parseConfig } from './config-source';
import { ControllerConfig, PolicyDefinition } from './contract';
import { ActionPlan, buildObservations, planAction } from './control';
import { applyCommand, parseInvokeEvent } from './invoke';
import { DEFAULT_METRICS_NAMESPACE, METRIC_SERVICE_NAME } from './metric-names';
import { builtInPolicies, resolvePolicy } from './policies';
import { readAlarms } from './read-alarms';
import { LiveAction, readLiveActions } from './read-actions';
import { readMetrics } from './read-metrics';
import { readTargetHealth } from './read-target-health';
import { ActionState, ControllerState, loadState, saveState } from './state';
import {
  ActionOutcome,
  ActionReport,
  logDecision,
  publishActionMetrics,
  publishRunMetrics,
} from './telemetry';
import { writeWeights } from './write-actions';

export interface ControllerClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ssm: SSMClient;
}

export interface HandlerOptions {
  /** SDK clients; one not given is created on first use, leaving retries to `callAws`. */
  readonly clients?: Partial<ControllerClients>;
  /** Now, epoch milliseconds. A simulation passes a compressed clock. @default Date.now */
  readonly now?: () => number;
  /** Policies by name, added to (and overriding) the built-in ones. */
  readonly policies?: Readonly<Record<string, PolicyDefinition<any>>>;
  /**
   * The configuration source; returns the configuration JSON text.
   * @default - `CONTROLLER_CONFIG`, or the SSM parameter named by `CONTROLLER_CONFIG_PARAMETER`
   */
  readonly loadConfigText?: () => Promise<string>;
  /** The environment to read configuration variables from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Read TargetResponseTime p99. Emulators that cannot serve percentiles lose only p99 either way.
   * @default - true unless `CONTROLLER_READ_PERCENTILES` is "false"
   */
  readonly readPercentiles?: boolean;
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
}

export interface RunResult {
  readonly command: 'run' | 'set-weights';
  readonly nowMs: number;
  readonly dryRun: boolean;
  readonly actions: ActionReport[];
  /** Ids of the actions whose weights this run wrote. */
  readonly written: string[];
  readonly warnings: string[];
}

export interface CommandResult {
  readonly command: 'freeze' | 'resume' | 'status';
  readonly nowMs: number;
  readonly state: ControllerState;
}

export type ControllerResult = RunResult | CommandResult;

export type ControllerHandler = (
  event: unknown,
  context?: { awsRequestId?: string },
) => Promise<ControllerResult>;

/** A client that retries nothing itself: `callAws` owns the one retry policy. */
function lazyClients(given: Partial<ControllerClients> | undefined) {
  const made: { -readonly [K in keyof ControllerClients]?: ControllerClients[K] } = { ...given };
  return {
    elbv2: () => (made.elbv2 ??= new ElasticLoadBalancingV2Client({ maxAttempts: 1 })),
    cloudwatch: () => (made.cloudwatch ??= new CloudWatchClient({ maxAttempts: 1 })),
    ssm: () => (made.ssm ??= new SSMClient({ maxAttempts: 1 })),
  };
}

export function createHandler(options: HandlerOptions = {}): ControllerHandler {
  const clients = lazyClients(options.clients);
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const retry = options.retry ?? defaultRetryPolicy;
  const logger = options.logger ?? new Logger({ serviceName: METRIC_SERVICE_NAME });
  const policies = { ...builtInPolicies, ...options.policies };
  const readPercentiles = options.readPercentiles ?? env.CONTROLLER_READ_PERCENTILES !== 'false';

  const config = async (): Promise<ControllerConfig> =>
    options.loadConfigText
      ? parseConfig(await options.loadConfigText(), 'the configured source')
      : loadConfig(env, clients.ssm, retry);

  return async (event, context) => {
    if (context?.awsRequestId) logger.appendKeys({ awsRequestId: context.awsRequestId });
    let namespace = DEFAULT_METRICS_NAMESPACE;
    try {
      const command = parseInvokeEvent(event);
      const cfg = await config();
      namespace = cfg.metrics.namespace;
      const nowMs = now();
      const state = await loadState(clients.ssm(), cfg.stateParameterName, retry);

      if (command.command === 'status') return { command: 'status', nowMs, state };
      if (command.command === 'freeze' || command.command === 'resume') {
        const next = applyCommand(cfg, state, command, nowMs);
        await saveState(clients.ssm(), cfg.stateParameterName, next, retry);
        logger.info('manual command', {
          command: command.command,
          actionId: command.actionId ?? 'all',
        });
        return { command: command.command, nowMs, state: next };
      }

      let runState = state;
      if (command.command === 'set-weights') {
        runState = applyCommand(cfg, state, command, nowMs);
        await saveState(clients.ssm(), cfg.stateParameterName, runState, retry);
        logger.info('manual command', {
          command: command.command,
          actionId: command.actionId,
          weights: command.weights,
        });
      }
      const result = await run(cfg, runState, nowMs, command.command);
      publishRunMetrics(namespace, false);
      return result;
    } catch (error) {
      logger.error('run failed', { error: (error as Error).message });
      publishRunMetrics(namespace, true);
      throw error;
    }
  };

  async function run(
    cfg: ControllerConfig,
    state: ControllerState,
    nowMs: number,
    command: RunResult['command'],
  ): Promise<RunResult> {
    const elbv2 = clients.elbv2();
    const cloudwatch = clients.cloudwatch();
    const policy = resolvePolicy(cfg.policy.name, policies);

    const live = await readLiveActions(elbv2, cfg.actions, retry);
    const arns = cfg.actions.flatMap((a) => a.targetGroups.map((tg) => tg.targetGroupArn));
    const health = await readTargetHealth(elbv2, arns, retry);
    const metrics = await readMetrics(cloudwatch, cfg, nowMs, {
      percentiles: readPercentiles,
      retry,
    });
    const { alarms, missing } = await readAlarms(cloudwatch, cfg.alarmNames, retry);
    const warnings = [
      ...metrics.warnings,
      ...missing.map((n) => `alarm ${n} does not exist; the policy sees INSUFFICIENT_DATA`),
    ];
    for (const warning of warnings) logger.warn(warning);

    const observations = cfg.actions.map((a, i) => buildObservations(a, live[i], health, metrics));
    const plans = cfg.actions.map((a, i) =>
      planAction({
        config: a,
        live: live[i],
        observations: observations[i],
        state: state.actions[a.id],
        nowMs,
        policy,
        parameters: cfg.policy.parameters,
        alarms,
        guardrails: cfg.guardrails,
        outsideChangeHoldMinutes: cfg.outsideChangeHoldMinutes,
      }),
    );

    const toWrite = cfg.dryRun ? [] : plans.filter((p) => p.write);
    if (toWrite.length > 0) {
      await saveState(
        clients.ssm(),
        cfg.stateParameterName,
        withPendingWrites(cfg, state, plans, nowMs),
        retry,
      );
    }

    const reports: ActionReport[] = [];
    const actions: Record<string, ActionState> = { ...state.actions };
    for (const [i, plan] of plans.entries()) {
      const { outcome, error } = await carryOut(cfg, live[i], plan);
      const report = {
        actionId: plan.actionId,
        mode: plan.mode,
        outcome,
        liveWeights: [...live[i].weights],
        weights: plan.weights,
        reason: plan.reason,
        error,
      };
      reports.push(report);
      actions[plan.actionId] = nextActionState(
        cfg,
        state.actions[plan.actionId],
        plan,
        outcome,
        nowMs,
        i,
      );
      logDecision(logger, plan, report, observations[i], alarms, cfg.dryRun);
      publishActionMetrics(cfg.metrics.namespace, cfg.actions[i], plan, report);
    }
    await saveState(clients.ssm(), cfg.stateParameterName, { ...state, actions }, retry);

    const written = reports.filter((r) => r.outcome === 'written').map((r) => r.actionId);
    const failed = reports.filter((r) => r.outcome === 'failed');
    if (failed.length > 0) {
      const detail = failed.map((r) => `${r.actionId}: ${r.error}`).join('; ');
      throw new Error(
        `writing weights failed for ${failed.map((r) => r.actionId).join(', ')} (written: ${written.join(', ') || 'none'}); ${detail}`,
      );
    }
    return { command, nowMs, dryRun: cfg.dryRun, actions: reports, written, warnings };
  }

  async function carryOut(
    cfg: ControllerConfig,
    live: LiveAction,
    plan: ActionPlan,
  ): Promise<{ outcome: ActionOutcome; error?: string }> {
    if (!plan.write) return { outcome: 'unchanged' };
    if (cfg.dryRun) return { outcome: 'dry-run' };
    const config = cfg.actions.find((a) => a.id === plan.actionId)!;
    try {
      const result = await writeWeights(clients.elbv2(), config, live, plan.weights, retry);
      return { outcome: result.status };
    } catch (error) {
      return { outcome: 'failed', error: (error as Error).message };
    }
  }
}

function withPendingWrites(
  cfg: ControllerConfig,
  state: ControllerState,
  plans: readonly ActionPlan[],
  nowMs: number,
): ControllerState {
  const actions = { ...state.actions };
  plans.forEach((plan, i) => {
    if (!plan.write) return;
    const targetGroupArns = cfg.actions[i].targetGroups.map((tg) => tg.targetGroupArn);
    actions[plan.actionId] = {
      ...actions[plan.actionId],
      pendingWrite: { weights: plan.weights, targetGroupArns, atMs: nowMs },
    };
  });
  return { ...state, actions };
}

/** The state an action keeps after this run, given what happened to its write. */
function nextActionState(
  cfg: ControllerConfig,
  before: ActionState | undefined,
  plan: ActionPlan,
  outcome: ActionOutcome,
  nowMs: number,
  index: number,
): ActionState {
  const targetGroupArns = cfg.actions[index].targetGroups.map((tg) => tg.targetGroupArn);
  switch (outcome) {
    case 'written':
      return {
        ...plan.nextState,
        lastWritten: { weights: plan.weights, targetGroupArns, atMs: nowMs },
        pendingWrite: undefined,
      };
    case 'dry-run':
      // A dry run writes nothing, so what was last written stays as it was.
      return {
        ...plan.nextState,
        lastWritten: before?.lastWritten,
        pendingWrite: before?.pendingWrite,
        resumedAtMs: before?.resumedAtMs,
      };
    case 'skipped-concurrent-change':
      return { ...before, pendingWrite: undefined };
    case 'failed':
      // The write may or may not have landed; the pending write lets the next run tell.
      return { ...before, pendingWrite: { weights: plan.weights, targetGroupArns, atMs: nowMs } };
    case 'unchanged':
      return cfg.dryRun
        ? { ...plan.nextState, lastWritten: before?.lastWritten, resumedAtMs: before?.resumedAtMs }
        : plan.nextState;
  }
}

/** The Lambda entry point, bundled into dist/handler/index.js. */
export const handler = createHandler();
