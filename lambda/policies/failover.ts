/**
 * The failover policy: keeps each target group at its nominal weight until its health or error
 * rate breaches a threshold, then drains it at once; after a hold-down it probes the group with a
 * small weight and restores it step by step while it stays clean.
 */
import * as z from 'zod/mini';
import { JsonValue, PolicyDefinition, TargetGroupObservation } from '../contract';

export const failoverParameters = z.strictObject({
  /** A group with fewer healthy hosts than this is drained. Default 1. */
  minHealthyHosts: z._default(z.int().check(z.gte(1)), 1),
  /**
   * A group whose newest visible minute fails more than this share of requests is drained (0–1).
   * Default 0.05.
   */
  maxErrorRate: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
  /** Requests a minute needs before its error rate is judged. Default 50. */
  minRequests: z._default(z.int().check(z.gte(1)), 50),
  /** Minutes a drained group stays at 0 before the first probe. Default 5. */
  holdDownMinutes: z._default(z.int().check(z.gte(0), z.lte(1440)), 5),
  /** Fraction of its nominal weight a recovering group regains per run (0–1]. Default 0.1. */
  restoreStep: z._default(z.number().check(z.gt(0), z.lte(1)), 0.1),
  /**
   * Largest fraction of the total nominal weight that may be drained at once (0–1), so errors
   * caused by overload cannot cascade into draining every group. Health breaches always drain.
   * Default 0.5.
   */
  maxDrainedFraction: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
  /**
   * Nominal weights by target group label or ARN; groups not named keep the weight they had at
   * the first run.
   */
  nominalWeights: z._default(z.record(z.string(), z.number().check(z.gte(0))), {}),
});
export type FailoverParameters = z.infer<typeof failoverParameters>;

interface GroupState {
  nominal: number;
  /** Fraction of the nominal weight in force, 0–1. */
  level: number;
  drainedMs: number;
  /** Start of the newest minute judged, so a minute is judged once. */
  judgedMs: number;
}

function readState(state: JsonValue | undefined): Record<string, GroupState> {
  if (
    state &&
    typeof state === 'object' &&
    !Array.isArray(state) &&
    typeof state.groups === 'object'
  ) {
    return { ...(state.groups as unknown as Record<string, GroupState>) };
  }
  return {};
}

/** The newest visible minute's error rate when it has enough requests and was not judged yet. */
function newErrorRate(
  group: TargetGroupObservation,
  judgedMs: number,
  p: FailoverParameters,
): { rate: number; startMs: number } | undefined {
  const newest = [...group.minutes].reverse().find((m) => !m.noData && m.requestCount !== null);
  if (!newest || newest.startMs <= judgedMs || newest.requestCount! < p.minRequests)
    return undefined;
  return {
    rate: Math.min(1, (newest.http5xxCount ?? 0) / newest.requestCount!),
    startMs: newest.startMs,
  };
}

export const failoverPolicy: PolicyDefinition<FailoverParameters> = {
  name: 'failover',
  parameters: failoverParameters,
  decide: ({ targetGroups, parameters: p, state, nowMs }) => {
    const previous = readState(state);
    const groups: Record<string, GroupState> = {};
    const notes: string[] = [];
    const nominalOf = (g: TargetGroupObservation) =>
      p.nominalWeights[g.label] ??
      p.nominalWeights[g.targetGroupArn] ??
      previous[g.targetGroupArn]?.nominal ??
      g.currentWeight;
    const totalNominal = targetGroups.reduce((sum, g) => sum + nominalOf(g), 0);
    let drainedNominal = targetGroups.reduce(
      (sum, g) => sum + (previous[g.targetGroupArn]?.level === 0 ? nominalOf(g) : 0),
      0,
    );

    for (const g of targetGroups) {
      const configured = p.nominalWeights[g.label] ?? p.nominalWeights[g.targetGroupArn];
      const known = previous[g.targetGroupArn];
      const s: GroupState = known
        ? { ...known, nominal: configured ?? known.nominal }
        : { nominal: configured ?? g.currentWeight, level: 1, drainedMs: 0, judgedMs: 0 };
      const seen = newErrorRate(g, s.judgedMs, p);
      if (seen) s.judgedMs = seen.startMs;

      if (g.healthyHostCount < p.minHealthyHosts) {
        if (s.level > 0)
          notes.push(
            `${g.label} drained: ${g.healthyHostCount} healthy hosts, fewer than ${p.minHealthyHosts}`,
          );
        s.level = 0;
        s.drainedMs = nowMs;
      } else if (seen && seen.rate > p.maxErrorRate) {
        const rate = `error rate ${(seen.rate * 100).toFixed(1)}% above ${(p.maxErrorRate * 100).toFixed(1)}%`;
        const alreadyDrained = s.level === 0;
        if (!alreadyDrained && drainedNominal + s.nominal > p.maxDrainedFraction * totalNominal) {
          notes.push(
            `${g.label} kept: ${rate}, but draining it would drain more than ${p.maxDrainedFraction} of the nominal weight`,
          );
        } else {
          if (!alreadyDrained) {
            notes.push(`${g.label} drained: ${rate}`);
            drainedNominal += s.nominal;
          }
          s.level = 0;
          s.drainedMs = nowMs;
        }
      } else if (s.level < 1 && nowMs - s.drainedMs >= p.holdDownMinutes * 60_000) {
        s.level = Math.min(1, s.level + p.restoreStep);
        notes.push(`${g.label} restoring to ${(s.level * 100).toFixed(0)}% of nominal`);
      }
      groups[g.targetGroupArn] = s;
    }

    const nextState = { groups } as unknown as JsonValue;
    const weights = targetGroups.map(
      (g) => groups[g.targetGroupArn].nominal * groups[g.targetGroupArn].level,
    );
    if (!weights.some((w) => w > 0)) {
      return {
        weights: targetGroups.map((g) => g.currentWeight),
        hold: true,
        state: nextState,
        reason: `every group breaches (${notes.join('; ')}); holding rather than draining them all`,
      };
    }
    const drain = targetGroups
      .filter((g) => groups[g.targetGroupArn].level === 0)
      .map((g) => g.targetGroupArn);
    return {
      weights,
      drain,
      state: nextState,
      reason: notes.length > 0 ? notes.join('; ') : 'every group within its thresholds',
    };
  },
};
