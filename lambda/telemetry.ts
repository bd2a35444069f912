/**
 * What the controller tells the outside: one structured log line per decision, with the inputs
 * that drove it, and its weights and decisions as CloudWatch metrics in embedded metric format.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SteeredAction, TargetGroupObservation } from './contract';
import { ActionPlan } from './control';
import { INSUFFICIENT_DATA_REASON } from './decide';
import {
  ACTION_METRICS,
  METRIC_DIMENSIONS,
  METRIC_SERVICE_NAME,
  RUN_METRICS,
  TARGET_GROUP_METRICS,
} from './metric-names';

export type ActionOutcome =
  'written' | 'unchanged' | 'dry-run' | 'skipped-concurrent-change' | 'failed';

export interface ActionReport {
  readonly actionId: string;
  readonly mode: ActionPlan['mode'];
  readonly outcome: ActionOutcome;
  /** The live weights the run read, configuration order. */
  readonly liveWeights: number[];
  /** The weights the run wanted in force, configuration order. */
  readonly weights: number[];
  readonly reason: string;
  readonly error?: string;
}

function sum(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

function lastOf(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

/** A compact view of what the policy saw for one target group. */
export function summarizeObservation(o: TargetGroupObservation) {
  return {
    label: o.label,
    currentWeight: o.currentWeight,
    healthyHostCount: o.healthyHostCount,
    minutesWithData: o.minutes.filter((m) => !m.noData).length,
    requestCount: sum(o.minutes.map((m) => m.requestCount)),
    http5xxCount: sum(o.minutes.map((m) => m.http5xxCount)),
    latencyAvgMs: lastOf(o.minutes.map((m) => m.latencyAvgMs)),
    latencyP99Ms: lastOf(o.minutes.map((m) => m.latencyP99Ms)),
  };
}

export function logDecision(
  logger: Logger,
  plan: ActionPlan,
  report: ActionReport,
  observations: readonly TargetGroupObservation[],
  alarms: Readonly<Record<string, string>>,
  dryRun: boolean,
): void {
  const level = report.outcome === 'failed' ? 'error' : plan.outsideChangeSeen ? 'warn' : 'info';
  logger[level]('decision', {
    actionId: plan.actionId,
    mode: plan.mode,
    outcome: report.outcome,
    dryRun,
    liveWeights: report.liveWeights,
    weights: report.weights,
    reason: plan.reason,
    policyReason: plan.decision?.policyReason,
    held: plan.decision?.held,
    adjustments: plan.decision?.adjustments ?? [],
    drained: plan.decision?.drained ?? [],
    outsideChangeSeen: plan.outsideChangeSeen,
    targetGroups: observations.map(summarizeObservation),
    alarms,
    error: report.error,
  });
}

function newMetrics(namespace: string): Metrics {
  return new Metrics({ namespace, serviceName: METRIC_SERVICE_NAME });
}

/** Publishes one action's metrics: one EMF line for the action, one per target group. */
export function publishActionMetrics(
  namespace: string,
  config: SteeredAction,
  plan: ActionPlan,
  report: ActionReport,
): void {
  const metrics = newMetrics(namespace);
  const count = (name: string, on: boolean) =>
    metrics.addMetric(name, MetricUnit.Count, on ? 1 : 0);
  metrics.addDimension(METRIC_DIMENSIONS.action, config.id);
  count(ACTION_METRICS.decisions, true);
  count(ACTION_METRICS.writes, report.outcome === 'written');
  count(ACTION_METRICS.holds, report.outcome !== 'written' && report.outcome !== 'failed');
  count(ACTION_METRICS.outsideChanges, plan.outsideChangeSeen);
  count(
    ACTION_METRICS.deployResetsRestored,
    plan.mode === 'restore-after-deploy' && report.outcome === 'written',
  );
  count(ACTION_METRICS.concurrentChangesSkipped, report.outcome === 'skipped-concurrent-change');
  count(ACTION_METRICS.guardrailAdjustments, (plan.decision?.adjustments.length ?? 0) > 0);
  count(
    ACTION_METRICS.insufficientDataHolds,
    !!plan.decision?.held && plan.decision.reason.startsWith(INSUFFICIENT_DATA_REASON),
  );
  metrics.publishStoredMetrics();

  const inForce = report.outcome === 'written' ? report.weights : report.liveWeights;
  const total = inForce.reduce((a, b) => a + b, 0);
  config.targetGroups.forEach((tg, n) => {
    metrics.addDimension(METRIC_DIMENSIONS.action, config.id);
    metrics.addDimension(METRIC_DIMENSIONS.targetGroup, tg.label);
    metrics.addMetric(TARGET_GROUP_METRICS.weight, MetricUnit.Count, inForce[n]);
    metrics.addMetric(
      TARGET_GROUP_METRICS.share,
      MetricUnit.NoUnit,
      total > 0 ? inForce[n] / total : 0,
    );
    metrics.publishStoredMetrics();
  });
}

/** Publishes the run's own outcome: Runs always, RunFailures 1 when it failed. */
export function publishRunMetrics(namespace: string, failed: boolean): void {
  const metrics = newMetrics(namespace);
  metrics.addMetric(RUN_METRICS.runs, MetricUnit.Count, 1);
  metrics.addMetric(RUN_METRICS.runFailures, MetricUnit.Count, failed ? 1 : 0);
  metrics.publishStoredMetrics();
}
