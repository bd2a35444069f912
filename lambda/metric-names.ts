/**
 * The names and dimensions of the metrics the controller publishes (embedded metric format), in one
 * place: the handler writes them, and the WeightController construct's dashboard and alarms read
 * them. The namespace is the configuration's `metrics.namespace` (default "WeightedBalancer").
 */

/**
 * Dimension names, as they appear in CloudWatch. Every metric also carries `service`, which the
 * metrics library always adds; its value is {@link METRIC_SERVICE_NAME}.
 */
export const METRIC_DIMENSIONS = {
  /** Always `METRIC_SERVICE_NAME`; part of every metric's dimension set. */
  service: 'service',
  /** The steered action's `id` from the configuration, e.g. "web-default". */
  action: 'Action',
  /** The target group's `label` from the configuration, e.g. "on-demand". */
  targetGroup: 'TargetGroup',
} as const;

/** The value of the `service` dimension on every metric the controller publishes. */
export const METRIC_SERVICE_NAME = 'weight-controller';

/**
 * Metrics per action and target group, dimensions `[service, Action, TargetGroup]`.
 * Published on every run that reaches a decision.
 */
export const TARGET_GROUP_METRICS = {
  /** The weight in force after the run (0–999): written, held or overridden. Unit: none. */
  weight: 'Weight',
  /** The group's share of the action's total weight after the run (0–1). Unit: none. */
  share: 'Share',
} as const;

/** Metrics per action, dimensions `[service, Action]`. Each is a count (unit Count) per run. */
export const ACTION_METRICS = {
  /** 1 for every decision made for the action (dry runs included). */
  decisions: 'Decisions',
  /** 1 when new weights were written and verified. */
  writes: 'Writes',
  /** 1 when nothing was written: held, within the deadband, overridden, or an outside change. */
  holds: 'Holds',
  /** 1 when the live weights differ from the last written and are not a deploy reset. */
  outsideChanges: 'OutsideChanges',
  /** 1 when a deploy reset the weights to the template's and the controller restored its own. */
  deployResetsRestored: 'DeployResetsRestored',
  /** 1 when the action changed between the read and the write, so the write was skipped. */
  concurrentChangesSkipped: 'ConcurrentChangesSkipped',
  /** 1 when a guardrail changed the policy's weights. */
  guardrailAdjustments: 'GuardrailAdjustments',
  /** 1 when the decision step held the weights for lack of data. */
  insufficientDataHolds: 'InsufficientDataHolds',
} as const;

/** Metrics per run, dimensions `[service]`. Each is a count (unit Count). */
export const RUN_METRICS = {
  /** 1 for every scheduled or invoked run that failed (bad configuration, AWS error). */
  runFailures: 'RunFailures',
  /** 1 for every run that finished. */
  runs: 'Runs',
} as const;

/** The controller's default metric namespace, the same as the configuration schema's default. */
export const DEFAULT_METRICS_NAMESPACE = 'WeightedBalancer';
