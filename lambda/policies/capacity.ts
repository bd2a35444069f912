/**
 * The capacity policy: each target group's weight is its healthy hosts times a per-host capacity,
 * configured or learned. It needs no latency, so it also steers NLBs, which publish only health.
 */
import * as z from 'zod/mini';
import { JsonValue, PolicyDefinition, TargetGroupObservation } from '../contract';

export const capacityParameters = z.strictObject({
  /**
   * Requests per second one host serves, by target group label or ARN; groups not named are
   * learned or assumed typical.
   */
  hostCapacities: z._default(z.record(z.string(), z.number().check(z.gt(0))), {}),
  /**
   * Learn a group's per-host capacity from its load and latency where none is configured. Default
   * true.
   */
  learn: z._default(z.boolean(), true),
  /** Weight of the newest minute in a learned capacity (0–1]. Default 0.3. */
  smoothing: z._default(z.number().check(z.gt(0), z.lte(1)), 0.3),
  /** Minutes with fewer requests than this teach nothing. Default 20. */
  minRequests: z._default(z.int().check(z.gte(1)), 20),
});
export type CapacityParameters = z.infer<typeof capacityParameters>;

interface Learned {
  hostCapacity: number;
  learnedMs: number;
}

function readState(state: JsonValue | undefined): Record<string, Learned> {
  if (
    state &&
    typeof state === 'object' &&
    !Array.isArray(state) &&
    typeof state.learned === 'object'
  ) {
    return { ...(state.learned as unknown as Record<string, Learned>) };
  }
  return {};
}

/** Load plus the rate one host could add, reading each host as a single-server queue. */
function learn(
  group: TargetGroupObservation,
  known: Learned | undefined,
  p: CapacityParameters,
): Learned | undefined {
  let estimate = known ? { ...known } : undefined;
  for (const m of group.minutes) {
    if (estimate && m.startMs <= estimate.learnedMs) continue;
    if (
      m.noData ||
      m.requestCount === null ||
      m.requestCount < p.minRequests ||
      m.latencyAvgMs === null ||
      m.latencyAvgMs <= 0
    )
      continue;
    const hosts = Math.max(1, m.healthyHostCount ?? group.healthyHostCount);
    // Fast failures (about 5 ms) would make a failing group look fast: learn from the successes.
    const errorRate = Math.min(1, (m.http5xxCount ?? 0) / m.requestCount);
    if (errorRate >= 1) continue;
    const okLatencyMs = Math.max(0.1, (m.latencyAvgMs - 5 * errorRate) / (1 - errorRate));
    const seen = ((1 - errorRate) * m.requestCount) / 60 / hosts + 1000 / okLatencyMs;
    estimate = estimate
      ? {
          hostCapacity: estimate.hostCapacity + p.smoothing * (seen - estimate.hostCapacity),
          learnedMs: m.startMs,
        }
      : { hostCapacity: seen, learnedMs: m.startMs };
  }
  return estimate;
}

export const capacityPolicy: PolicyDefinition<CapacityParameters> = {
  name: 'capacity',
  parameters: capacityParameters,
  decide: ({ targetGroups, parameters: p, state }) => {
    const previous = readState(state);
    const learned: Record<string, Learned> = {};
    const configured = targetGroups.map(
      (g) => p.hostCapacities[g.label] ?? p.hostCapacities[g.targetGroupArn],
    );
    const perHost = targetGroups.map((g, i) => {
      if (configured[i] !== undefined) return configured[i];
      if (!p.learn) return undefined;
      const estimate = learn(g, previous[g.targetGroupArn], p);
      if (estimate) learned[g.targetGroupArn] = estimate;
      return estimate?.hostCapacity;
    });

    const known = perHost.filter((c): c is number => c !== undefined);
    // Without any capacity to go on, every host counts the same.
    const typical = known.length > 0 ? known.reduce((s, c) => s + c, 0) / known.length : 1;
    const weights = targetGroups.map((g, i) => g.healthyHostCount * (perHost[i] ?? typical));
    const split = targetGroups
      .map((g, i) => `${g.label} ${g.healthyHostCount}×${(perHost[i] ?? typical).toFixed(1)}`)
      .join(', ');
    const nextState = { learned } as unknown as JsonValue;
    if (!weights.some((w) => w > 0)) {
      return {
        weights: targetGroups.map((g) => g.currentWeight),
        hold: true,
        state: nextState,
        reason: 'no group has a healthy host',
      };
    }
    return {
      weights,
      state: nextState,
      reason: `weights follow healthy hosts × capacity per host: ${split}`,
    };
  },
};
