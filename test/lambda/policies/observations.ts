/** Builders of policy inputs for the policy tests: target groups with visible minutes. */
import {
  MinuteObservation,
  PolicyInput,
  silentMinute,
  TargetGroupObservation,
} from '../../../lambda/contract';

export const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 5);

export interface MinuteSpec {
  readonly requests: number;
  readonly errors?: number;
  readonly latencyMs?: number | null;
  readonly p99Ms?: number | null;
  readonly hosts?: number;
}

/** `count` minutes ending three minutes before now, oldest first, all like `spec`. */
export function minutes(
  count: number,
  spec: MinuteSpec,
  endMs = NOW_MS - 3 * 60_000,
): MinuteObservation[] {
  return Array.from({ length: count }, (_, k) => minute(endMs - (count - 1 - k) * 60_000, spec));
}

export function minute(startMs: number, spec: MinuteSpec): MinuteObservation {
  if (spec.requests === 0) return silentMinute(startMs);
  return {
    startMs,
    noData: false,
    requestCount: spec.requests,
    http5xxCount: spec.errors ?? 0,
    latencyAvgMs: spec.latencyMs === undefined ? 50 : spec.latencyMs,
    latencyP99Ms: spec.p99Ms === undefined ? null : spec.p99Ms,
    healthyHostCount: spec.hosts ?? null,
    custom: {},
  };
}

export function group(
  label: string,
  weight: number,
  hosts: number,
  visible: readonly MinuteObservation[],
): TargetGroupObservation {
  return {
    targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${label}/0123456789abcdef`,
    label,
    currentWeight: weight,
    healthyHostCount: hosts,
    minutes: visible,
  };
}

export function input<P>(
  parameters: P,
  targetGroups: readonly TargetGroupObservation[],
  extra: Partial<PolicyInput<P>> = {},
): PolicyInput<P> {
  return {
    nowMs: NOW_MS,
    actionId: 'web-default',
    loadBalancerType: 'application',
    targetGroups,
    parameters,
    state: undefined,
    alarms: {},
    ...extra,
  };
}

export function sharesOf(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}
