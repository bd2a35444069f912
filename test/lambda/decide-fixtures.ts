import { z } from 'zod';
import {
  MinuteObservation,
  PolicyDefinition,
  PolicyOutput,
  TargetGroupObservation,
} from '../../lambda/contract';
import { DecisionInput } from '../../lambda/decide';

export function minute(overrides: Partial<MinuteObservation> = {}): MinuteObservation {
  return {
    startMs: 0,
    noData: false,
    requestCount: 600,
    http5xxCount: 0,
    latencyAvgMs: 20,
    latencyP99Ms: 80,
    healthyHostCount: 2,
    custom: {},
    ...overrides,
  };
}

export function group(
  label: string,
  currentWeight: number,
  healthyHostCount = 2,
  minutes: MinuteObservation[] = [minute()],
): TargetGroupObservation {
  return {
    targetGroupArn: `arn:aws:elasticloadbalancing:tg/${label}`,
    label,
    currentWeight,
    healthyHostCount,
    minutes,
  };
}

/** A policy that returns what the test says, so each guardrail can be driven on its own. */
export function fixedPolicy(
  output: Partial<PolicyOutput> | (() => PolicyOutput),
): PolicyDefinition {
  return {
    name: 'fixed',
    parameters: z.record(z.string(), z.unknown()),
    decide:
      typeof output === 'function'
        ? output
        : () => ({ reason: 'fixed', state: null, weights: [], ...output }),
  };
}

export function input(
  targetGroups: TargetGroupObservation[],
  policy: PolicyDefinition<any>,
  overrides: Partial<DecisionInput> = {},
): DecisionInput {
  return {
    nowMs: 1_700_000_000_000,
    actionId: 'web-default',
    loadBalancerType: 'application',
    targetGroups,
    policy,
    parameters: {},
    state: undefined,
    alarms: {},
    guardrails: { minShare: 0, maxStepUp: 1, deadband: 0, minGroupsWithData: 1 },
    ...overrides,
  };
}

export const shares = (weights: readonly number[]) => {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
};
