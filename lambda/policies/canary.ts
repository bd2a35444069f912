/**
 * The canary policy: progressive delivery of a new target group. The canary's weight climbs in
 * steps, each a fraction of the baseline group's weight, and each step must pass an analysis of
 * the canary against the baseline (error rate and latency, each on a minimum sample) before the
 * next. A breach or a named alarm in ALARM rolls the canary back to 0; too little data holds the
 * step (inconclusive); passing the last step promotes the canary in the baseline's place.
 */
import * as z from 'zod/mini';
import {
  JsonValue,
  MinuteObservation,
  PolicyDefinition,
  PolicyInput,
  PolicyOutput,
  TargetGroupObservation,
} from '../contract';

export const canaryParameters = z.strictObject({
  /** The canary target group, by label or ARN. */
  canaryTargetGroup: z.string().check(z.minLength(1)),
  /** The group the canary is judged against, by label or ARN. */
  baselineTargetGroup: z.string().check(z.minLength(1)),
  /**
   * The canary's weight at each step as a fraction of the baseline's, rising; each rise must move
   * the canary's share by more than the guardrails' deadband to be written. Default 5%, 25%, 50%,
   * 100%.
   */
  steps: z._default(
    z
      .array(z.number().check(z.gt(0), z.lte(1)))
      .check(
        z.minLength(1),
        z.maxLength(20),
        z.refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]), 'steps must rise'),
      ),
    [0.05, 0.25, 0.5, 1],
  ),
  /** Visible minutes of data a step needs before the analysis may pass it. Default 5. */
  stepMinutes: z._default(z.int().check(z.gte(1), z.lte(1440)), 5),
  /** Canary requests the analysis needs in a step before it judges at all. Default 200. */
  minCanaryRequests: z._default(z.int().check(z.gte(1)), 200),
  /** Baseline requests the analysis needs in the same minutes. Default 200. */
  minBaselineRequests: z._default(z.int().check(z.gte(1)), 200),
  /**
   * Largest tolerated rise of the canary's error rate over the baseline's (0–1). Default 0.01.
   */
  maxErrorRateIncrease: z._default(z.number().check(z.gte(0), z.lte(1)), 0.01),
  /**
   * Largest tolerated ratio of the canary's average latency of successes to the baseline's.
   * Default 1.2.
   */
  maxLatencyRatio: z._default(z.number().check(z.gte(1)), 1.2),
  /**
   * Largest tolerated ratio of p99s (where CloudWatch serves them), judged on `minP99Requests`.
   * Default 1.5.
   */
  maxP99Ratio: z._default(z.number().check(z.gte(1)), 1.5),
  /** Canary requests a p99 comparison needs, as p99s of few requests are noise. Default 1000. */
  minP99Requests: z._default(z.int().check(z.gte(1)), 1000),
  /** Latency differences below this many ms never breach, however large the ratio. Default 5. */
  latencyMarginMs: z._default(z.number().check(z.gte(0)), 5),
  /** CloudWatch alarms that roll the canary back when in ALARM. Default none. */
  rollbackAlarms: z._default(z.array(z.string().check(z.minLength(1))), []),
  /**
   * On promotion, drain the baseline so the canary takes its place; false keeps both. Default
   * true.
   */
  drainBaselineOnPromotion: z._default(z.boolean(), true),
});
export type CanaryParameters = z.infer<typeof canaryParameters>;

type Phase = 'stepping' | 'promoted' | 'rolled-back';

interface CanaryState {
  readonly phase: Phase;
  /** Index into `steps`. */
  readonly step: number;
  /**
   * When the current step's weights were set; minutes starting before this belong to older steps.
   */
  readonly stepStartMs: number;
  /** Why the canary was rolled back or promoted. */
  readonly verdict: string;
}

interface Totals {
  requests: number;
  errors: number;
  okLatencySumMs: number;
  p99SumMs: number;
  p99Requests: number;
  minutes: number;
}

function readState(state: JsonValue | undefined): CanaryState | undefined {
  if (!state || typeof state !== 'object' || Array.isArray(state)) return undefined;
  const { phase, step, stepStartMs, verdict } = state;
  if (phase !== 'stepping' && phase !== 'promoted' && phase !== 'rolled-back') return undefined;
  if (typeof step !== 'number' || typeof stepStartMs !== 'number') return undefined;
  return { phase, step, stepStartMs, verdict: typeof verdict === 'string' ? verdict : '' };
}

function findGroup(groups: readonly TargetGroupObservation[], name: string): number {
  return groups.findIndex((g) => g.label === name || g.targetGroupArn === name);
}

/** Sums the minutes that started at or after `fromMs`. */
function totals(minutes: readonly MinuteObservation[], fromMs: number): Totals {
  const sum: Totals = {
    requests: 0,
    errors: 0,
    okLatencySumMs: 0,
    p99SumMs: 0,
    p99Requests: 0,
    minutes: 0,
  };
  for (const m of minutes) {
    if (m.startMs < fromMs || m.noData || m.requestCount === null || m.requestCount === 0) continue;
    const errors = Math.min(m.requestCount, m.http5xxCount ?? 0);
    sum.requests += m.requestCount;
    sum.errors += errors;
    sum.minutes++;
    if (m.latencyAvgMs !== null && m.requestCount > errors) {
      // Fast failures would flatter a failing canary's latency: judge the successes only.
      const okLatency =
        Math.max(0, m.latencyAvgMs * m.requestCount - 5 * errors) / (m.requestCount - errors);
      sum.okLatencySumMs += okLatency * m.requestCount;
    }
    if (m.latencyP99Ms !== null) {
      sum.p99SumMs += m.latencyP99Ms * m.requestCount;
      sum.p99Requests += m.requestCount;
    }
  }
  return sum;
}

type Verdict =
  | { kind: 'breach'; reason: string }
  | { kind: 'pass'; reason: string }
  | { kind: 'wait'; reason: string };

/** Judges the canary against the baseline over the current step's visible minutes. */
export function analyse(canary: Totals, baseline: Totals, p: CanaryParameters): Verdict {
  if (canary.requests < p.minCanaryRequests || baseline.requests < p.minBaselineRequests) {
    return {
      kind: 'wait',
      reason: `${canary.requests} canary and ${baseline.requests} baseline requests so far; the analysis needs ${p.minCanaryRequests} and ${p.minBaselineRequests}`,
    };
  }
  const canaryErrorRate = canary.errors / canary.requests;
  const baselineErrorRate = baseline.errors / baseline.requests;
  if (canaryErrorRate - baselineErrorRate > p.maxErrorRateIncrease) {
    return {
      kind: 'breach',
      reason: `canary error rate ${pct(canaryErrorRate)} is more than ${pct(p.maxErrorRateIncrease)} above the baseline's ${pct(baselineErrorRate)}`,
    };
  }
  const canaryLatency = canary.okLatencySumMs / canary.requests;
  const baselineLatency = baseline.okLatencySumMs / baseline.requests;
  if (
    canaryLatency > baselineLatency * p.maxLatencyRatio &&
    canaryLatency - baselineLatency > p.latencyMarginMs
  ) {
    return {
      kind: 'breach',
      reason: `canary latency ${canaryLatency.toFixed(1)} ms is more than ${p.maxLatencyRatio}× the baseline's ${baselineLatency.toFixed(1)} ms`,
    };
  }
  if (canary.p99Requests >= p.minP99Requests && baseline.p99Requests >= p.minP99Requests) {
    const canaryP99 = canary.p99SumMs / canary.p99Requests;
    const baselineP99 = baseline.p99SumMs / baseline.p99Requests;
    if (canaryP99 > baselineP99 * p.maxP99Ratio && canaryP99 - baselineP99 > p.latencyMarginMs) {
      return {
        kind: 'breach',
        reason: `canary p99 ${canaryP99.toFixed(0)} ms is more than ${p.maxP99Ratio}× the baseline's ${baselineP99.toFixed(0)} ms`,
      };
    }
  }
  return {
    kind: 'pass',
    reason: `canary errors ${pct(canaryErrorRate)} against ${pct(baselineErrorRate)}, latency ${canaryLatency.toFixed(1)} against ${baselineLatency.toFixed(1)} ms`,
  };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

export const canaryPolicy: PolicyDefinition<CanaryParameters> = {
  name: 'canary',
  parameters: canaryParameters,
  decide: (input) => decideCanary(input),
};

function decideCanary(input: PolicyInput<CanaryParameters>): PolicyOutput {
  const { targetGroups: groups, parameters: p, nowMs, alarms } = input;
  const current = groups.map((g) => g.currentWeight);
  const canaryIndex = findGroup(groups, p.canaryTargetGroup);
  const baselineIndex = findGroup(groups, p.baselineTargetGroup);
  const state = readState(input.state);
  if (canaryIndex < 0 || baselineIndex < 0 || canaryIndex === baselineIndex) {
    const labels = groups.map((g) => g.label).join(', ');
    return {
      weights: current,
      hold: true,
      state: (state ?? null) as unknown as JsonValue,
      reason: `canaryTargetGroup "${p.canaryTargetGroup}" and baselineTargetGroup "${p.baselineTargetGroup}" must name two different groups of this action (${labels}); holding`,
    };
  }
  const canary = groups[canaryIndex];
  const baselineWeight = current[baselineIndex];
  const withCanary = (weight: number): number[] =>
    current.map((w, i) => (i === canaryIndex ? weight : w));
  const save = (s: CanaryState): JsonValue => ({ ...s });

  if (state?.phase === 'rolled-back') {
    return {
      weights: withCanary(0),
      drain: [canary.targetGroupArn],
      state: save(state),
      reason: `canary stays rolled back: ${state.verdict}`,
    };
  }
  if (state?.phase === 'promoted') {
    return {
      weights: current,
      hold: true,
      state: save(state),
      reason: `canary promoted: ${state.verdict}`,
    };
  }

  const rollback = (verdict: string): PolicyOutput => ({
    weights: withCanary(0),
    drain: [canary.targetGroupArn],
    state: save({ phase: 'rolled-back', step: state?.step ?? 0, stepStartMs: nowMs, verdict }),
    reason: `rolling the canary back: ${verdict}`,
  });
  const firing = p.rollbackAlarms.filter((name) => alarms[name] === 'ALARM');
  if (firing.length > 0) return rollback(`alarm ${firing.join(', ')} in ALARM`);

  if (!state) {
    const start: CanaryState = { phase: 'stepping', step: 0, stepStartMs: nowMs, verdict: '' };
    return {
      weights: withCanary(baselineWeight * p.steps[0]),
      state: save(start),
      reason: `starting the canary at step 1 of ${p.steps.length} (${pct(p.steps[0])} of the baseline's weight)`,
    };
  }

  const stepWeight = baselineWeight * p.steps[state.step];
  const verdict = analyse(
    totals(canary.minutes, state.stepStartMs),
    totals(groups[baselineIndex].minutes, state.stepStartMs),
    p,
  );
  if (verdict.kind === 'breach') return rollback(verdict.reason);

  const seenMinutes = totals(canary.minutes, state.stepStartMs).minutes;
  const stepLabel = `step ${state.step + 1} of ${p.steps.length}`;
  if (seenMinutes < p.stepMinutes) {
    return {
      weights: withCanary(stepWeight),
      state: save(state),
      reason: `${stepLabel}: ${seenMinutes} of ${p.stepMinutes} minutes seen`,
    };
  }
  if (verdict.kind === 'wait') {
    return {
      weights: current,
      hold: true,
      state: save(state),
      reason: `${stepLabel} inconclusive: ${verdict.reason}`,
    };
  }
  if (state.step + 1 < p.steps.length) {
    const next: CanaryState = {
      phase: 'stepping',
      step: state.step + 1,
      stepStartMs: nowMs,
      verdict: '',
    };
    return {
      weights: withCanary(baselineWeight * p.steps[next.step]),
      state: save(next),
      reason: `${stepLabel} passed (${verdict.reason}); moving to ${pct(p.steps[next.step])} of the baseline's weight`,
    };
  }
  const promoted: CanaryState = {
    phase: 'promoted',
    step: state.step,
    stepStartMs: nowMs,
    verdict: verdict.reason,
  };
  if (!p.drainBaselineOnPromotion) {
    return {
      weights: withCanary(Math.max(stepWeight, baselineWeight)),
      state: save(promoted),
      reason: `promoting the canary: ${verdict.reason}`,
    };
  }
  const weights = current.map((w, i) =>
    i === canaryIndex ? Math.max(baselineWeight, w) : i === baselineIndex ? 0 : w,
  );
  return {
    weights,
    drain: [groups[baselineIndex].targetGroupArn],
    state: save(promoted),
    reason: `promoting the canary in the baseline's place: ${verdict.reason}`,
  };
}
