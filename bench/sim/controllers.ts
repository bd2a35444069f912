/**
 * The controllers the benchmark compares: the built-in policies run through the very decision step
 * the Lambda runs, and the baselines B0–B3, which see the truth where their definition says so.
 */
import { Guardrails, JsonValue, MAX_WEIGHT, PolicyDefinition } from '../../lambda/contract';
import { decide } from '../../lambda/decide';
import { Controller, ControllerView } from './simulate';

/**
 * The guardrails the policies run with in the benchmark: a 0.2% floor (30 requests a minute at the
 * benchmark's load, enough to keep a failing group measured), rises of at most 20 points a minute,
 * and the library's default deadband: no write for moves of 1 point or less.
 */
export const BENCH_GUARDRAILS: Guardrails = {
  minShare: 0.002,
  maxStepUp: 0.2,
  deadband: 0.01,
  minGroupsWithData: 1,
};

/** Shares to integer weights for the baselines: the largest share gets 999, none rounds to 0. */
export function sharesToWeights(shares: readonly number[]): number[] {
  const largest = Math.max(...shares);
  if (!(largest > 0)) return shares.map(() => MAX_WEIGHT);
  return shares.map((s) => (s > 0 ? Math.max(1, Math.round((MAX_WEIGHT * s) / largest)) : 0));
}

export function staticEqual(): Controller {
  return { name: 'B0', run: (view) => view.currentWeights.map(() => MAX_WEIGHT) };
}

export function staticCapacity(): Controller {
  return { name: 'B1', run: (view) => [...view.startingCapacityWeights] };
}

export function oracle(): Controller {
  return { name: 'B2', run: (view) => sharesToWeights(view.oracleShares) };
}

export function delayedOracle(): Controller {
  return { name: 'B2d', run: (view) => sharesToWeights(view.solveOracle(view.truthDelayed)) };
}

/**
 * ATW-like: halve a group whose newest visible error rate is above max(3 × the others' median,
 * 0.5%) on at least 50 requests, down to 1/64 of its nominal weight; restore 10% of nominal a
 * minute otherwise. Latency is ignored.
 */
export function anomalyWeighting(): Controller {
  const weightByLabel = new Map<string, number>();
  return {
    name: 'B3',
    run: (view) => {
      const rates = view.targetGroups.map((g) => {
        const newest = g.minutes[g.minutes.length - 1];
        if (!newest || newest.noData || !newest.requestCount) return null;
        return {
          rate: (newest.http5xxCount ?? 0) / newest.requestCount,
          requests: newest.requestCount,
        };
      });
      return view.targetGroups.map((g, i) => {
        const nominal = view.startingCapacityWeights[i];
        const current = weightByLabel.get(g.label) ?? nominal;
        const own = rates[i];
        const others = rates.filter((r, k) => k !== i && r !== null).map((r) => r!.rate);
        const threshold = Math.max(3 * median(others), 0.005);
        const anomalous = own !== null && own.requests >= 50 && own.rate > threshold;
        const next = anomalous
          ? Math.max(nominal / 64, current / 2)
          : Math.min(nominal, current + nominal / 10);
        weightByLabel.set(g.label, next);
        return Math.max(1, Math.round(next));
      });
    },
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A built-in policy behind the decision step, as the Lambda runs it, keeping its state. */
export function policyController(
  policy: PolicyDefinition<any>,
  parameters: Record<string, unknown> = {},
  guardrails: Guardrails = BENCH_GUARDRAILS,
): Controller {
  let state: JsonValue | undefined;
  let holds = 0;
  let lastReason = '';
  return {
    name: policy.name,
    run: (view: ControllerView) => {
      const decision = decide({
        nowMs: view.nowMs,
        actionId: 'bench',
        loadBalancerType: 'application',
        targetGroups: view.targetGroups,
        policy,
        parameters,
        state,
        alarms: {},
        guardrails,
      });
      state = decision.state;
      if (decision.held) holds++;
      lastReason = decision.reason;
      return decision.weights;
    },
    finish: () => {
      const phase =
        state !== null && typeof state === 'object' && !Array.isArray(state)
          ? state.phase
          : undefined;
      return { phase: phase ?? null, holds, lastReason };
    },
  };
}
