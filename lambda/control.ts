/**
 * What to do with one steered action this run, before any write: follow a manual override,
 * restore weights a deploy reset, respect someone else's change for a while, or steer with the
 * decision step. Pure: the handler reads, this plans, the handler writes.
 */
import { Decision, decide } from './decide';
import {
  AlarmState,
  Guardrails,
  PolicyDefinition,
  SteeredAction,
  TargetGroupObservation,
} from './contract';
import { MetricsReadResult, observationKey } from './read-metrics';
import { TargetGroupHealth } from './read-target-health';
import { LiveAction } from './read-actions';
import { ActionState, WrittenWeights } from './state';

const MINUTE_MS = 60_000;

export type ControlMode =
  /** The decision step chose the weights. */
  | 'steer'
  /** A manual set-weights override is in force. */
  | 'override'
  /** A manual freeze is in force: the live weights stay. */
  | 'freeze'
  /** A deploy reset the weights to the template's; the controller puts its own back. */
  | 'restore-after-deploy'
  /** Someone else changed the weights; they are respected until the hold ends. */
  | 'outside-change'
  /** The live action no longer routes to the configured target groups; nothing is written. */
  | 'mismatch';

export interface ActionPlan {
  readonly actionId: string;
  readonly mode: ControlMode;
  /** The weights to have in force after the run, configuration order. */
  readonly weights: number[];
  /** True when `weights` differ from the live ones and should be written. */
  readonly write: boolean;
  readonly reason: string;
  /** The decision step's answer, when it ran. */
  readonly decision: Decision | undefined;
  /** True when this run first saw an outside change (or a mismatch), for the report and metric. */
  readonly outsideChangeSeen: boolean;
  /** The action's state to keep when the plan is carried out as planned. */
  readonly nextState: ActionState;
}

export interface PlanInput {
  readonly config: SteeredAction;
  readonly live: LiveAction;
  readonly observations: readonly TargetGroupObservation[];
  readonly state: ActionState | undefined;
  readonly nowMs: number;
  readonly policy: PolicyDefinition<any>;
  readonly parameters: Record<string, unknown>;
  readonly alarms: Readonly<Record<string, AlarmState>>;
  readonly guardrails: Guardrails;
  readonly outsideChangeHoldMinutes: number;
}

export function sameWeights(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
): boolean {
  return !!a && !!b && a.length === b.length && a.every((w, i) => w === b[i]);
}

/** The observations the policy sees for one action, in configuration order. */
export function buildObservations(
  config: SteeredAction,
  live: LiveAction,
  health: ReadonlyMap<string, TargetGroupHealth>,
  metrics: MetricsReadResult,
): TargetGroupObservation[] {
  return config.targetGroups.map((tg, n) => ({
    targetGroupArn: tg.targetGroupArn,
    label: tg.label,
    currentWeight: live.weights[n],
    healthyHostCount: health.get(tg.targetGroupArn)?.healthyHostCount ?? 0,
    minutes: metrics.minutes.get(observationKey(tg)) ?? [],
  }));
}

/** Drops what no longer applies: an expired override, weights written for other target groups. */
function currentState(
  config: SteeredAction,
  state: ActionState | undefined,
  nowMs: number,
): ActionState {
  const arns = config.targetGroups.map((tg) => tg.targetGroupArn);
  const fits = (w: WrittenWeights | undefined) =>
    w && sameArns(w.targetGroupArns, arns) ? w : undefined;
  const override =
    state?.override &&
    state.override.untilMs > nowMs &&
    (!state.override.targetGroupArns || sameArns(state.override.targetGroupArns, arns))
      ? state.override
      : undefined;
  return {
    lastWritten: fits(state?.lastWritten),
    pendingWrite: fits(state?.pendingWrite),
    policyState: state?.policyState,
    override,
    outsideChange:
      state?.outsideChange && state.outsideChange.weights.length === arns.length
        ? state.outsideChange
        : undefined,
    resumedAtMs: state?.resumedAtMs,
  };
}

function sameArns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arn, i) => arn === b[i]);
}

/**
 * `weights` with every group that has no healthy target cut to 0 while another group has some,
 * the rule the decision step also follows; undefined when that would leave nothing routed (an
 * all-zero action is invalid for AWS, whatever the health).
 */
export function withoutUnhealthyGroups(
  weights: readonly number[],
  observations: readonly TargetGroupObservation[],
): number[] | undefined {
  const healthy = observations.map(
    (o) => Number.isFinite(o.healthyHostCount) && o.healthyHostCount > 0,
  );
  const safe = healthy.some(Boolean) ? weights.map((w, i) => (healthy[i] ? w : 0)) : [...weights];
  return safe.some((w) => w > 0) ? safe : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function planAction(input: PlanInput): ActionPlan {
  const { config, live, nowMs } = input;
  const liveWeights = [...live.weights];
  let state = currentState(config, input.state, nowMs);
  const arns = config.targetGroups.map((tg) => tg.targetGroupArn);
  const hold = (
    mode: ControlMode,
    reason: string,
    outsideChangeSeen = false,
    nextState = state,
  ): ActionPlan => ({
    actionId: config.id,
    mode,
    weights: liveWeights,
    write: false,
    reason,
    decision: undefined,
    outsideChangeSeen,
    nextState,
  });

  // A write that landed but whose run died before saving state is not someone else's change.
  if (state.pendingWrite) {
    const landed = sameWeights(state.pendingWrite.weights, liveWeights);
    state = {
      ...state,
      lastWritten: landed ? state.pendingWrite : state.lastWritten,
      pendingWrite: undefined,
    };
  }

  if (live.mismatch) {
    return hold(
      'mismatch',
      `${live.mismatch}; the controller writes nothing until the configuration matches`,
      true,
    );
  }

  if (state.override?.kind === 'freeze') {
    return hold('freeze', `weights frozen by hand until ${iso(state.override.untilMs)}`);
  }
  if (state.override?.kind === 'set-weights' && state.override.weights) {
    const asSet = state.override.weights;
    // A hand-set weight never sends traffic to a group without healthy targets while one has some.
    const weights =
      withoutUnhealthyGroups(asSet, input.observations) ?? evenOverHealthy(input.observations);
    const cut = sameWeights(weights, asSet)
      ? ''
      : ` (set [${asSet.join(', ')}]; groups without healthy targets cut to 0)`;
    return {
      actionId: config.id,
      mode: 'override',
      weights,
      write: !sameWeights(weights, liveWeights),
      reason: `weights set by hand until ${iso(state.override.untilMs)}${cut}`,
      decision: undefined,
      outsideChangeSeen: false,
      nextState: state,
    };
  }

  const resumed = state.resumedAtMs !== undefined;
  state = { ...state, resumedAtMs: undefined };
  const expected = state.lastWritten?.weights;
  if (expected && !sameWeights(expected, liveWeights)) {
    const restorable = withoutUnhealthyGroups(expected, input.observations);
    const deployReset =
      !!config.templateWeights && sameWeights(config.templateWeights, liveWeights);
    if (deployReset && !restorable) {
      // What it wrote routed only to groups that have lost their healthy targets: steer afresh.
      return steer(
        input,
        { ...state, lastWritten: undefined, outsideChange: undefined },
        liveWeights,
      );
    }
    if (deployReset && restorable) {
      return {
        actionId: config.id,
        mode: 'restore-after-deploy',
        weights: restorable,
        write: true,
        reason: `live weights [${liveWeights.join(', ')}] are the template's, as a deploy leaves them; restoring the last written [${restorable.join(', ')}]`,
        decision: undefined,
        outsideChangeSeen: false,
        nextState: { ...state, outsideChange: undefined },
      };
    }
    if (resumed) {
      // Resume hands the live weights back to the controller: they are its baseline, not drift.
      state = {
        ...state,
        lastWritten: { weights: liveWeights, targetGroupArns: arns, atMs: nowMs },
        outsideChange: undefined,
      };
      return steer(input, state, liveWeights);
    }
    const seen = state.outsideChange;
    const known = seen && sameWeights(seen.weights, liveWeights);
    if (known && nowMs < seen.untilMs) {
      return hold(
        'outside-change',
        `respecting weights [${liveWeights.join(', ')}] set outside the controller at ${iso(seen.seenAtMs)} until ${iso(seen.untilMs)}`,
      );
    }
    if (!known && input.outsideChangeHoldMinutes > 0) {
      const untilMs = nowMs + input.outsideChangeHoldMinutes * MINUTE_MS;
      const outsideChange = { weights: liveWeights, seenAtMs: nowMs, untilMs };
      return hold(
        'outside-change',
        `live weights [${liveWeights.join(', ')}] differ from the last written [${expected.join(', ')}]; respecting them until ${iso(untilMs)}`,
        true,
        { ...state, outsideChange },
      );
    }
    // The hold is over (or zero): the outside weights become the baseline to steer from.
    state = {
      ...state,
      lastWritten: { weights: liveWeights, targetGroupArns: arns, atMs: nowMs },
      outsideChange: undefined,
    };
    if (!known) {
      const steered = steer(input, state, liveWeights);
      return { ...steered, outsideChangeSeen: true };
    }
  }

  return steer(input, { ...state, outsideChange: undefined }, liveWeights);
}

/** Equal weights over the groups with healthy targets (over all groups when none has any). */
function evenOverHealthy(observations: readonly TargetGroupObservation[]): number[] {
  const healthy = observations.map((o) => o.healthyHostCount > 0);
  const any = healthy.some(Boolean);
  return healthy.map((h) => (h || !any ? 100 : 0));
}

function steer(input: PlanInput, state: ActionState, liveWeights: number[]): ActionPlan {
  const decision = decide({
    nowMs: input.nowMs,
    actionId: input.config.id,
    loadBalancerType: input.config.loadBalancerType,
    targetGroups: input.observations,
    policy: input.policy,
    parameters: input.parameters,
    state: state.policyState as Decision['state'] | undefined,
    alarms: input.alarms,
    guardrails: input.guardrails,
  });
  const write = decision.write && !sameWeights(decision.weights, liveWeights);
  return {
    actionId: input.config.id,
    mode: 'steer',
    weights: write ? [...decision.weights] : liveWeights,
    write,
    reason: decision.reason,
    decision,
    outsideChangeSeen: false,
    nextState: { ...state, policyState: decision.state },
  };
}
