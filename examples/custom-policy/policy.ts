/**
 * An example custom policy: weights follow healthy hosts, discounted by each group's 5xx rate,
 * and a group whose error rate stays above `maxErrorRate` for `drainAfterRuns` runs in a row is
 * drained. The controller's guardrails (step limit, minimum share, health) still apply.
 *
 * Point a WeightController at this file with `policyFile`; it is bundled at synth.
 */
import { z } from 'zod';
import type {
  JsonValue,
  PolicyDefinition,
  TargetGroupObservation,
} from '../../lib/weight-controller';

const parameters = z
  .object({
    /** A 5xx rate above this (0–1) counts as a bad run for the group. */
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    /** Fewer requests than this in the window say nothing about the error rate. */
    minRequests: z.number().int().min(1).default(50),
    /** Bad runs in a row before the group is drained. */
    drainAfterRuns: z.number().int().min(1).max(60).default(2),
  })
  .strict();

export type ErrorAwareParameters = z.infer<typeof parameters>;

/** Bad runs in a row per target group ARN. */
type BadRuns = Record<string, number>;

function badRunsFrom(state: JsonValue | undefined): BadRuns {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return {};
  const counts: BadRuns = {};
  for (const [arn, count] of Object.entries(state)) {
    if (typeof count === 'number' && Number.isInteger(count) && count > 0) counts[arn] = count;
  }
  return counts;
}

/** The group's 5xx rate over the window, or null when it served too few requests to tell. */
function errorRate(group: TargetGroupObservation, minRequests: number): number | null {
  let requests = 0;
  let errors = 0;
  for (const minute of group.minutes) {
    requests += minute.requestCount ?? 0;
    errors += minute.http5xxCount ?? 0;
  }
  return requests >= minRequests ? errors / requests : null;
}

export const policy: PolicyDefinition<ErrorAwareParameters> = {
  name: 'error-aware',
  parameters,
  decide: ({ targetGroups, parameters: p, state }) => {
    const previous = badRunsFrom(state);
    const next: BadRuns = {};
    const rates = targetGroups.map((group) => errorRate(group, p.minRequests));

    targetGroups.forEach((group, i) => {
      const rate = rates[i];
      if (rate !== null && rate > p.maxErrorRate)
        next[group.targetGroupArn] = (previous[group.targetGroupArn] ?? 0) + 1;
    });
    const drain = targetGroups
      .filter((group) => (next[group.targetGroupArn] ?? 0) >= p.drainAfterRuns)
      .map((group) => group.targetGroupArn);

    const weights = targetGroups.map((group, i) => {
      if (drain.includes(group.targetGroupArn)) return 0;
      return group.healthyHostCount * (1 - Math.min(1, rates[i] ?? 0));
    });
    const rateText = targetGroups
      .map(
        (group, i) =>
          `${group.label} ${rates[i] === null ? 'n/a' : `${((rates[i] ?? 0) * 100).toFixed(1)}%`}`,
      )
      .join(', ');
    const drained = drain.length > 0 ? `; draining ${drain.length} group(s)` : '';
    return { weights, reason: `error-aware: 5xx ${rateText}${drained}`, state: next, drain };
  },
};
