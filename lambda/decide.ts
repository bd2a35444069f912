/**
 * The decision step: policy, then guardrails, then integer weights. One pure function that the
 * handler, the simulator and the playground all call, so they cannot drift apart.
 */
import { safeParse } from 'zod/v4/core';
import {
  AlarmState,
  Guardrails,
  JsonValue,
  LoadBalancerType,
  MAX_TARGET_GROUPS_PER_ACTION,
  MinuteObservation,
  PolicyDefinition,
  PolicyOutput,
  TargetGroupObservation,
} from './contract';
import {
  applyMinShare,
  describeValue,
  evenOver,
  isValidWeightVector,
  largestShareMove,
  limitStepUp,
  normalizeOver,
  parseGuardrails,
  sanitizeWeight,
  sharesOf,
  toIntegerWeights,
} from './guardrails';

/**
 * How the reason of a decision held for lack of data begins; the handler counts such holds as
 * its InsufficientDataHolds metric, which the WeightController's alarms watch.
 */
export const INSUFFICIENT_DATA_REASON = 'insufficient data';

export interface DecisionInput {
  readonly nowMs: number;
  readonly actionId: string;
  readonly loadBalancerType: LoadBalancerType;
  readonly targetGroups: readonly TargetGroupObservation[];
  // Each policy has its own parameter type; decide() parses them with the policy's own schema.
  readonly policy: PolicyDefinition<any>;
  readonly parameters: Record<string, unknown>;
  /** The policy's state from the last run; undefined at first. */
  readonly state: JsonValue | undefined;
  readonly alarms: Readonly<Record<string, AlarmState>>;
  readonly guardrails: Guardrails;
}

export interface Decision {
  /** The weights to have in force: integers 0–999 in input order, never all zero. */
  readonly weights: number[];
  /** False when nothing needs writing: held, or no share moved by more than the deadband. */
  readonly write: boolean;
  /**
   * True when the policy's view was not applied (insufficient data, a policy hold or a policy
   * bug). The weights are then the current ones, except that a group without healthy targets is
   * still cut to 0 while another has some; `write` says whether that changed anything.
   */
  readonly held: boolean;
  /** One sentence: why these weights. */
  readonly reason: string;
  readonly policyReason: string;
  /** The policy's next state, to hand back next run. */
  readonly state: JsonValue;
  /** Target group ARNs drained on purpose. */
  readonly drained: string[];
  /** Which guardrails changed the policy's weights, e.g. "maxStepUp: on-demand 0.40->0.30". */
  readonly adjustments: string[];
}

/** Decides the weights for one steered action. Throws only for bad guardrails or parameters. */
export function decide(input: DecisionInput): Decision {
  const guardrails = parseGuardrails(input.guardrails);
  const parameters = parsePolicyParameters(input.policy, input.parameters);
  const count = input.targetGroups.length;
  if (count < 1 || count > MAX_TARGET_GROUPS_PER_ACTION) {
    throw new Error(
      `targetGroups has ${count} entries; a forward action has 1 to ${MAX_TARGET_GROUPS_PER_ACTION} target groups`,
    );
  }

  const groups = input.targetGroups.map(sanitizeObservation);
  const rawCurrent = input.targetGroups.map((g) => g.currentWeight);
  const current = groups.map((g) => g.currentWeight);
  const healthy = groups.map((g) => g.healthyHostCount > 0);
  const previousState = input.state ?? null;
  const labels = groups.map((g) => g.label);

  const hold = (reason: string, policyReason: string, state: JsonValue): Decision => {
    const safe = safeCurrentWeights(current, healthy);
    const moved = labels.filter((_, i) => current[i] > 0 && safe[i] === 0);
    const movedNote =
      moved.length > 0 ? `, except ${moved.join(', ')} (no healthy targets) cut to 0` : '';
    return {
      weights: safe,
      write: !sameWeights(safe, rawCurrent),
      held: true,
      reason: `${reason}; keeping the current weights${movedNote}`,
      policyReason,
      state,
      drained: [],
      adjustments: moved.map((label) => `noHealthyTargets: ${label} -> 0`),
    };
  };

  if (!healthy.some(Boolean)) {
    return hold(
      'no target group has a healthy target, so health gives no direction',
      '',
      previousState,
    );
  }

  const dataCheck = checkData(
    groups,
    current,
    input.loadBalancerType,
    guardrails.minGroupsWithData,
  );
  if (dataCheck) return hold(dataCheck, '', previousState);

  const policyInput = {
    nowMs: input.nowMs,
    actionId: input.actionId,
    loadBalancerType: input.loadBalancerType,
    targetGroups: groups,
    parameters,
    state: input.state,
    alarms: input.alarms,
  };
  let output: PolicyOutput;
  try {
    output = input.policy.decide(policyInput);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return hold(`policy "${input.policy.name}" threw "${message}"`, message, previousState);
  }

  const outputProblem = checkPolicyOutput(output, count);
  if (outputProblem) {
    const policyReason = typeof output?.reason === 'string' ? output.reason : '';
    return hold(`policy "${input.policy.name}" ${outputProblem}`, policyReason, previousState);
  }
  if (output.hold)
    return hold(`policy "${input.policy.name}" held`, output.reason, output.state ?? null);

  return steer(input.policy.name, output, groups, current, rawCurrent, healthy, guardrails);
}

/** Applies the guardrails to a policy's valid output. */
function steer(
  policyName: string,
  output: PolicyOutput,
  groups: readonly TargetGroupObservation[],
  current: readonly number[],
  rawCurrent: readonly number[],
  healthy: readonly boolean[],
  guardrails: Guardrails,
): Decision {
  const adjustments: string[] = [];
  const labels = groups.map((g) => g.label);
  const arns = groups.map((g) => g.targetGroupArn);
  const policyShares = sharesOf(output.weights);

  const drainList = output.drain ?? [];
  for (const arn of drainList) {
    if (!arns.includes(arn))
      adjustments.push(`drain: ignored ${arn}, not a target group of this action`);
  }
  let drained = arns.map((arn, i) => drainList.includes(arn) && healthy[i]);
  let live = healthy.map((h, i) => h && !drained[i]);
  if (!live.some(Boolean)) {
    adjustments.push('drain: kept the healthy groups live, as draining them all leaves no target');
    drained = drained.map(() => false);
    live = [...healthy];
  }

  healthy.forEach((h, i) => {
    if (!h && policyShares[i] > 0)
      adjustments.push(`noHealthyTargets: ${labels[i]} ${fmt(policyShares[i])}->0`);
  });

  let target = normalizeOver(output.weights, live);
  if (!target.some((t) => t > 0)) {
    const fromCurrent = normalizeOver(current, live);
    target = fromCurrent.some((t) => t > 0) ? fromCurrent : evenOver(live);
    adjustments.push('policy gave every live group 0: kept their current proportions');
  }

  const probeList = output.probe ?? [];
  for (const arn of probeList) {
    if (!arns.includes(arn))
      adjustments.push(`probe: ignored ${arn}, not a target group of this action`);
  }
  // A group the policy probes keeps the share it was given, when that is below minShare.
  const minShares = arns.map((arn, i) =>
    probeList.includes(arn) && live[i] && target[i] > 0
      ? Math.min(guardrails.minShare, target[i])
      : guardrails.minShare,
  );

  const withMinimum = applyMinShare(target, live, minShares);
  recordChanges(adjustments, 'minShare', labels, target, withMinimum);

  const currentShares = sharesOf(current);
  // A probed group being cut sheds at once: the others may rise past maxStepUp to take its share,
  // as for a group going to 0. Never when every live group is probed: then none is shed.
  const probed = arns.map((arn, i) => probeList.includes(arn) && live[i]);
  const allProbed = live.every((l, i) => !l || probed[i]);
  const shedding = probed.map((p, i) => p && !allProbed && withMinimum[i] < currentShares[i]);
  let final = withMinimum;
  if (currentShares.some((s) => s > 0)) {
    const limited = limitStepUp(
      withMinimum,
      currentShares,
      live,
      guardrails.maxStepUp,
      minShares,
      shedding,
    );
    recordChanges(adjustments, 'maxStepUp', labels, withMinimum, limited.shares);
    if (limited.relaxed)
      adjustments.push(
        'maxStepUp: exceeded, as groups cut to 0 or probed left share with no other place to go',
      );
    final = limited.shares;
  }

  const weights = toIntegerWeights(final, live, minShares);
  const base = {
    held: false,
    policyReason: output.reason,
    state: output.state ?? null,
    drained: arns.filter((_, i) => drained[i]),
    adjustments,
  };

  const liveSetChanged = weights.some((w, i) => w > 0 !== current[i] > 0);
  const nextShares = sharesOf(weights);
  const move = largestShareMove(currentShares, nextShares);
  // A cut of a probed group (to less than half its share) is never held: a failing group within
  // the deadband of its small floor would keep its share for as long as it failed.
  const cutsProbed = shedding.some((s, i) => s && nextShares[i] < currentShares[i] / 2);
  if (
    isValidWeightVector(rawCurrent) &&
    !liveSetChanged &&
    !cutsProbed &&
    move <= guardrails.deadband
  ) {
    return {
      ...base,
      weights: [...current],
      write: false,
      reason: `no share moved by more than the deadband (largest move ${fmt(move)}, deadband ${guardrails.deadband}); keeping the current weights`,
    };
  }

  const adjusted = adjustments.length > 0 ? `, adjusted by ${summarize(adjustments)}` : '';
  return {
    ...base,
    weights,
    write: !sameWeights(weights, rawCurrent),
    reason: `applying policy "${policyName}" weights${adjusted}`,
  };
}

/**
 * Why the data is too thin to steer on, or undefined when it is enough. Counted among the groups
 * that carry weight now (all groups when none does): a group has data when some visible minute
 * has a datapoint. ALB groups need a RequestCount datapoint; NLB publishes no per-target-group
 * traffic, so a HealthyHostCount or custom metric datapoint counts there.
 */
function checkData(
  groups: readonly TargetGroupObservation[],
  current: readonly number[],
  loadBalancerType: LoadBalancerType,
  minGroupsWithData: number,
): string | undefined {
  const carrying = groups.filter((_, i) => current[i] > 0);
  const counted = carrying.length > 0 ? carrying : groups;
  const required = Math.min(minGroupsWithData, counted.length);
  const withData = counted.filter((g) =>
    g.minutes.some((m) => hasDatapoint(m, loadBalancerType)),
  ).length;
  if (withData >= required) return undefined;
  return `${INSUFFICIENT_DATA_REASON}: ${withData} of ${counted.length} target groups with weight had a visible datapoint, ${required} needed`;
}

function hasDatapoint(minute: MinuteObservation, loadBalancerType: LoadBalancerType): boolean {
  if (!minute.noData && minute.requestCount !== null) return true;
  if (loadBalancerType === 'application') return false;
  return minute.healthyHostCount !== null || Object.values(minute.custom).some((v) => v !== null);
}

/** What is wrong with a policy's output, or undefined when it can be used. */
function checkPolicyOutput(output: PolicyOutput | undefined, count: number): string | undefined {
  if (typeof output !== 'object' || output === null)
    return `returned ${describeValue(output)}, not an output object`;
  if (!Array.isArray(output.weights))
    return `returned weights ${describeValue(output.weights)}, not an array`;
  if (output.weights.length !== count) {
    return `returned ${output.weights.length} weights for ${count} target groups`;
  }
  const bad = output.weights.findIndex(
    (w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0,
  );
  if (bad >= 0)
    return `returned weights[${bad}] = ${describeValue(output.weights[bad])}; a policy weight must be a finite number of 0 or more`;
  if (!isJson(output.state ?? null)) return 'returned a state that is not JSON';
  return undefined;
}

/** Current weights made valid, sending nothing to unhealthy groups while another is healthy. */
function safeCurrentWeights(current: readonly number[], healthy: readonly boolean[]): number[] {
  const anyHealthy = healthy.some(Boolean);
  const kept = current.map((w, i) => (anyHealthy && !healthy[i] ? 0 : w));
  if (kept.some((w) => w > 0)) return kept;

  const candidates = anyHealthy ? healthy : healthy.map(() => true);
  return toIntegerWeights(evenOver(candidates), candidates, 0);
}

/** Observation values as the policy may rely on them: non-finite or negative reads as missing. */
function sanitizeObservation(group: TargetGroupObservation): TargetGroupObservation {
  const healthy = group.healthyHostCount;
  return {
    targetGroupArn: group.targetGroupArn,
    label: group.label,
    currentWeight: sanitizeWeight(group.currentWeight),
    healthyHostCount: Number.isFinite(healthy) && healthy > 0 ? Math.floor(healthy) : 0,
    minutes: (group.minutes ?? []).map((m) => ({
      startMs: m.startMs,
      noData: m.noData || cleanMetric(m.requestCount) === null,
      requestCount: cleanMetric(m.requestCount),
      http5xxCount: cleanMetric(m.http5xxCount),
      latencyAvgMs: cleanMetric(m.latencyAvgMs),
      latencyP99Ms: cleanMetric(m.latencyP99Ms),
      healthyHostCount: cleanMetric(m.healthyHostCount),
      custom: Object.fromEntries(
        Object.entries(m.custom ?? {}).map(([k, v]) => [k, cleanMetric(v)]),
      ),
    })),
  };
}

function cleanMetric(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function parsePolicyParameters(policy: PolicyDefinition<any>, parameters: unknown): unknown {
  const result = safeParse(policy.parameters, parameters ?? {});
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new Error(
      `policy "${policy.name}" has no parameter ${issue.keys.join(', ')}; ${issue.message}`,
    );
  }
  const received = issue.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
    parameters,
  );
  const name = issue.path.length > 0 ? issue.path.join('.') : '(all)';
  throw new Error(
    `policy "${policy.name}" parameter ${name} is ${describeValue(received)}; ${issue.message}`,
  );
}

function recordChanges(
  adjustments: string[],
  rule: string,
  labels: readonly string[],
  before: readonly number[],
  after: readonly number[],
): void {
  before.forEach((b, i) => {
    if (fmt(b) !== fmt(after[i]))
      adjustments.push(`${rule}: ${labels[i]} ${fmt(b)}->${fmt(after[i])}`);
  });
}

function summarize(adjustments: readonly string[]): string {
  return [...new Set(adjustments.map((a) => a.split(':')[0]))].join(', ');
}

function sameWeights(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === 'object') return Object.values(value as object).every(isJson);
  return false;
}

function fmt(share: number): string {
  return share.toFixed(2);
}
