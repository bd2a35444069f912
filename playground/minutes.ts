/**
 * One simulated minute as both paths see it, and the one rule each path follows to turn it into
 * what the controller reads: the datapoints ELB would publish to CloudWatch (the playground puts
 * them into moto) and, for the in-process path, the observations the handler would build from
 * them (visible window, average latency only, no datapoint for a group without traffic).
 */
import {
  ControllerConfig,
  MinuteObservation,
  SteeredAction,
  TargetGroupObservation,
} from '../lambda/contract';
import { metricsWindow } from '../lambda/read-metrics';
import type { ControllerView } from '../bench/sim/simulate';

/** One target group when the controller runs: its live state and the minute that just ended. */
export interface GroupMinute {
  readonly label: string;
  readonly currentWeight: number;
  /** Healthy targets now, as DescribeTargetHealth reports them. */
  readonly liveHealthyHosts: number;
  /** The minute that just ended as the simulator recorded it; undefined at minute 0. */
  readonly ended: MinuteObservation | undefined;
}

/** What the simulator shows when the controller runs, 5 s past `minute`. */
export interface MinuteView {
  readonly minute: number;
  readonly nowMs: number;
  /** The target groups in the forward action, in order. */
  readonly groups: readonly GroupMinute[];
}

/** Reads a view of a simulation run with no metric delay and a 1-minute window. */
export function minuteViewOf(view: ControllerView): MinuteView {
  return {
    minute: view.minute,
    nowMs: view.nowMs,
    groups: view.targetGroups.map((tg) => ({
      label: tg.label,
      currentWeight: tg.currentWeight,
      liveHealthyHosts: tg.healthyHostCount,
      ended: tg.minutes[tg.minutes.length - 1],
    })),
  };
}

/** The ELB datapoints of one target group's minute; none for a minute without traffic. */
export interface ElbDatapoints {
  readonly RequestCount: number;
  readonly HTTPCode_Target_5XX_Count: number;
  /** Average, in seconds, as ELB reports it. */
  readonly TargetResponseTime: number;
  readonly HealthyHostCount: number;
}

export function elbDatapoints(minute: MinuteObservation | undefined): ElbDatapoints | undefined {
  if (!minute || minute.noData || !minute.requestCount) return undefined;
  return {
    RequestCount: minute.requestCount,
    // Published even when 0, so a quiet minute and a missing one stay apart on both paths.
    HTTPCode_Target_5XX_Count: minute.http5xxCount ?? 0,
    TargetResponseTime: (minute.latencyAvgMs ?? 0) / 1000,
    HealthyHostCount: minute.healthyHostCount ?? 0,
  };
}

/** Withholds one group's datapoints for some minutes: CloudWatch never gets them. */
export interface Withholding {
  readonly label: string;
  /** First minute withheld. */
  readonly fromMinute: number;
  /** First minute published again. */
  readonly toMinute: number;
}

export function isWithheld(
  withhold: Withholding | undefined,
  label: string,
  minute: number,
): boolean {
  return (
    !!withhold &&
    withhold.label === label &&
    minute >= withhold.fromMinute &&
    minute < withhold.toMinute
  );
}

/**
 * The datapoints CloudWatch holds, by label and minute start, and the observations the handler
 * reads from them: a minute with no datapoint is no data, never zero; latency is seconds × 1000.
 */
export class CloudWatchMinutes {
  private readonly byLabel = new Map<string, Map<number, ElbDatapoints>>();

  put(label: string, startMs: number, datapoints: ElbDatapoints): void {
    if (!this.byLabel.has(label)) this.byLabel.set(label, new Map());
    this.byLabel.get(label)!.set(startMs, datapoints);
  }

  /** The observations the handler builds for `action` at `nowMs`, in configuration order. */
  observations(
    config: ControllerConfig,
    action: SteeredAction,
    nowMs: number,
    groups: readonly GroupMinute[],
  ): TargetGroupObservation[] {
    const window = metricsWindow(nowMs, config.metrics.delayMinutes, config.metrics.windowMinutes);
    return action.targetGroups.map((tg) => {
      const group = groups.find((g) => g.label === tg.label);
      if (!group)
        throw new Error(
          `target group ${tg.label} is in the configuration but not in the simulation`,
        );
      const stored = this.byLabel.get(tg.label);
      return {
        targetGroupArn: tg.targetGroupArn,
        label: tg.label,
        currentWeight: group.currentWeight,
        healthyHostCount: group.liveHealthyHosts,
        minutes: window.minuteStartsMs.map((startMs) =>
          observedMinute(startMs, stored?.get(startMs)),
        ),
      };
    });
  }
}

function observedMinute(startMs: number, datapoints: ElbDatapoints | undefined): MinuteObservation {
  return {
    startMs,
    noData: datapoints === undefined,
    requestCount: datapoints?.RequestCount ?? null,
    http5xxCount: datapoints?.HTTPCode_Target_5XX_Count ?? null,
    latencyAvgMs: datapoints ? datapoints.TargetResponseTime * 1000 : null,
    latencyP99Ms: null,
    healthyHostCount: datapoints?.HealthyHostCount ?? null,
    custom: {},
  };
}
