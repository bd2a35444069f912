/**
 * The contract between the parts: the controller configuration that the constructs write and the
 * handler reads, the policy's input and output, and the events that tune the controller by hand.
 *
 * Untrusted input (configuration, invoke events) is parsed with these zod schemas; the TypeScript
 * types are inferred from them, so there is one definition of each shape.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';

// zod/mini loads no locale until told: the English one gives every rule its message. Imported by
// name, so a bundle without the build's English-only plugin (a custom policy's) still drops the
// other locales.
z.config(en());

/** AWS's limit on a weighted forward action's weights. */
export const MAX_WEIGHT = 999;
/** AWS's limit on target groups in one forward action. */
export const MAX_TARGET_GROUPS_PER_ACTION = 5;

// ---------------------------------------------------------------------------------------------
// Configuration (written by lib/, read by lambda/)
// ---------------------------------------------------------------------------------------------

// zod/mini rather than zod: the same parsing and messages, but a bundle that imports only what it
// uses, which keeps the controller's cold start close to that of the SDK clients alone.
const nonEmptyString = () => z.string().check(z.minLength(1));
const weightSchema = () => z.int().check(z.gte(0), z.lte(MAX_WEIGHT));

export const loadBalancerTypeSchema = z.enum(['application', 'network']);
export type LoadBalancerType = z.infer<typeof loadBalancerTypeSchema>;

/** An extra CloudWatch metric the policy reads for a target group, e.g. an application's own. */
export const customMetricSchema = z.object({
  /** The key under which the policy sees the metric's values. */
  key: z
    .string()
    .check(
      z.regex(
        /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
        'a key starts with a letter and holds letters, digits and underscores',
      ),
    ),
  namespace: nonEmptyString(),
  metricName: nonEmptyString(),
  dimensions: z._default(z.record(z.string(), z.string()), {}),
  /** A CloudWatch statistic: Sum, Average, Minimum, Maximum, SampleCount or pNN. */
  statistic: z._default(nonEmptyString(), 'Average'),
});
export type CustomMetric = z.infer<typeof customMetricSchema>;

export const targetGroupConfigSchema = z.object({
  targetGroupArn: z.string().check(z.startsWith('arn:', 'a target group ARN starts with "arn:"')),
  /** A short label for logs, metrics and the dashboard, e.g. "on-demand". */
  label: z.string().check(z.minLength(1), z.maxLength(64)),
  /**
   * CloudWatch dimension values: `LoadBalancer` is `app/NAME/ID` or `net/NAME/ID`,
   * `TargetGroup` is `targetgroup/NAME/ID`.
   */
  dimensions: z.object({
    LoadBalancer: nonEmptyString(),
    TargetGroup: z
      .string()
      .check(z.startsWith('targetgroup/', 'a TargetGroup dimension starts with "targetgroup/"')),
  }),
  customMetrics: z._default(z.array(customMetricSchema), []),
});
export type TargetGroupConfig = z.infer<typeof targetGroupConfigSchema>;

/** One weighted forward action the controller steers: a listener's default action or a rule's. */
export const steeredActionSchema = z.object({
  /** A stable id for state, logs and metrics, e.g. "web-default" or "web-api-rule". */
  id: z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
        'an id holds letters, digits, ".", "_" and "-" (at most 64)',
      ),
    ),
  loadBalancerType: loadBalancerTypeSchema,
  listenerArn: z.string().check(z.startsWith('arn:', 'a listener ARN starts with "arn:"')),
  /** Set to steer a listener rule; unset to steer the listener's default action. */
  ruleArn: z.optional(z.string().check(z.startsWith('arn:', 'a rule ARN starts with "arn:"'))),
  targetGroups: z
    .array(targetGroupConfigSchema)
    .check(z.minLength(1), z.maxLength(MAX_TARGET_GROUPS_PER_ACTION)),
  /**
   * The weights the CloudFormation template declares, in `targetGroups` order. A deploy resets the
   * live action to these; when the controller sees exactly them, it restores what it last wrote.
   */
  templateWeights: z.optional(z.array(weightSchema())),
});
export type SteeredAction = z.infer<typeof steeredActionSchema>;

export const guardrailsSchema = z.object({
  /** Smallest share (0–0.2) every group the policy keeps live gets, so it keeps producing metrics. */
  minShare: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.02),
  /**
   * Largest rise of a group's share in one run (0.01–1). A cut is slowed only as far as the other
   * groups cannot rise to take its share; drained and probed groups are cut at once.
   */
  maxStepUp: z._default(z.number().check(z.gte(0.01), z.lte(1)), 0.1),
  /** No write unless some group's share moves by more than this (0–0.2). */
  deadband: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.01),
  /** Hold the current weights when fewer than this many groups (with traffic) have visible data. */
  minGroupsWithData: z._default(
    z.int().check(z.gte(0), z.lte(MAX_TARGET_GROUPS_PER_ACTION)),
    1,
  ),
});
export type Guardrails = z.infer<typeof guardrailsSchema>;

export const policyConfigSchema = z.object({
  /** A built-in policy's name, or "custom" for a policy bundled with the handler. */
  name: nonEmptyString(),
  parameters: z._default(z.record(z.string(), z.unknown()), {}),
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export const controllerConfigSchema = z.object({
  version: z.literal(1),
  actions: z.array(steeredActionSchema).check(z.minLength(1)),
  policy: policyConfigSchema,
  guardrails: z._default(guardrailsSchema, () => guardrailsSchema.parse({})),
  metrics: z._default(
    z.object({
      /** The window ends this many minutes before now, as CloudWatch's ELB metrics arrive late. */
      delayMinutes: z._default(z.int().check(z.gte(0), z.lte(15)), 2),
      /** How many visible minutes the policy sees. */
      windowMinutes: z._default(z.int().check(z.gte(1), z.lte(60)), 5),
      /** The namespace the controller publishes its own metrics in. */
      namespace: z._default(nonEmptyString(), 'WeightedBalancer'),
    }),
    { delayMinutes: 2, windowMinutes: 5, namespace: 'WeightedBalancer' },
  ),
  /** CloudWatch alarms whose states the policy sees. */
  alarmNames: z._default(z.array(nonEmptyString()), []),
  dryRun: z._default(z.boolean(), false),
  /** SSM parameter that keeps the last written weights, policy state and overrides. */
  stateParameterName: z
    .string()
    .check(z.startsWith('/', 'an SSM parameter name used here starts with "/"')),
  /** How long an outside change to the weights is respected before the controller steers again. */
  outsideChangeHoldMinutes: z._default(z.int().check(z.gte(0), z.lte(1440)), 30),
});
export type ControllerConfig = z.infer<typeof controllerConfigSchema>;
export type ControllerConfigInput = z.input<typeof controllerConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Policy input and output (pure; no AWS, no clock, no I/O)
// ---------------------------------------------------------------------------------------------

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One visible CloudWatch minute of one target group. `null` means no datapoint, never zero. */
export interface MinuteObservation {
  /** Start of the minute, epoch milliseconds. */
  readonly startMs: number;
  /** True when CloudWatch had no RequestCount datapoint for the minute (no traffic seen). */
  readonly noData: boolean;
  readonly requestCount: number | null;
  readonly http5xxCount: number | null;
  readonly latencyAvgMs: number | null;
  /** Absent where CloudWatch does not serve percentiles (NLB, some emulators). */
  readonly latencyP99Ms: number | null;
  /** Minimum healthy host count over the minute. */
  readonly healthyHostCount: number | null;
  readonly custom: Readonly<Record<string, number | null>>;
}

/** A minute in which a group served nothing: ELB then publishes no datapoint at all. */
export function silentMinute(startMs: number): MinuteObservation {
  return {
    startMs,
    noData: true,
    requestCount: null,
    http5xxCount: null,
    latencyAvgMs: null,
    latencyP99Ms: null,
    healthyHostCount: null,
    custom: {},
  };
}

export interface TargetGroupObservation {
  readonly targetGroupArn: string;
  readonly label: string;
  /** The weight in force now, as read from the listener (0–999). */
  readonly currentWeight: number;
  /** Healthy targets now, from DescribeTargetHealth. */
  readonly healthyHostCount: number;
  /** Visible minutes, oldest first. */
  readonly minutes: readonly MinuteObservation[];
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface PolicyInput<P = Record<string, unknown>> {
  /** Now, epoch milliseconds (from the controller's clock). */
  readonly nowMs: number;
  readonly actionId: string;
  readonly loadBalancerType: LoadBalancerType;
  readonly targetGroups: readonly TargetGroupObservation[];
  readonly parameters: P;
  /** What the policy returned as `state` on the previous run for this action; undefined at first. */
  readonly state: JsonValue | undefined;
  readonly alarms: Readonly<Record<string, AlarmState>>;
}

export interface PolicyOutput {
  /** Desired relative weights, one per target group in input order; any non-negative scale. */
  readonly weights: readonly number[];
  readonly reason: string;
  /** Kept by the controller and handed back next run. Must be JSON. */
  readonly state: JsonValue;
  /** Target group ARNs the policy drains on purpose (rollback, failover): they may go to 0 at once. */
  readonly drain?: readonly string[];
  /**
   * Target group ARNs the policy keeps live below the guardrails' `minShare` on purpose, at the
   * share its weights give them (at least weight 1; one given 0 is lifted to `minShare` like any
   * other group): a failing group it still measures, so that it
   * sees the group recover, without sending it `minShare` of the traffic. A probed group that is
   * being cut sheds at once, like one going to 0: the other groups may rise past `maxStepUp` to
   * take its share (unless every live group is probed).
   */
  readonly probe?: readonly string[];
  /** True when the policy asks to keep the current weights (e.g. an inconclusive analysis). */
  readonly hold?: boolean;
}

/** A policy: a pure function from observations to desired weights. */
export type PolicyFunction<P = Record<string, unknown>> = (input: PolicyInput<P>) => PolicyOutput;

/**
 * A policy with its parameter schema, so parameters are checked and defaulted before it runs. The
 * schema may come from `zod` or `zod/mini` (both build on zod's core); decide() parses it with
 * the core's own parse function.
 */
export interface PolicyDefinition<P = Record<string, unknown>> {
  readonly name: string;
  readonly parameters: $ZodType<P, unknown>;
  readonly decide: PolicyFunction<P>;
}

// ---------------------------------------------------------------------------------------------
// Invoke events for manual tuning
// ---------------------------------------------------------------------------------------------

const durationMinutes = z.int().check(z.gte(1), z.lte(7 * 24 * 60));

export const invokeEventSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('run') }),
  z.object({
    command: z.literal('set-weights'),
    actionId: nonEmptyString(),
    /** Weights by target group label or ARN. */
    weights: z.record(z.string(), weightSchema()),
    durationMinutes,
  }),
  z.object({
    command: z.literal('freeze'),
    actionId: z.optional(nonEmptyString()),
    durationMinutes,
  }),
  z.object({ command: z.literal('resume'), actionId: z.optional(nonEmptyString()) }),
  z.object({ command: z.literal('status') }),
]);
export type InvokeEvent = z.infer<typeof invokeEventSchema>;
