/**
 * Reads each target group's visible minutes with GetMetricData: as few calls as possible (up to
 * 500 queries each, paged with NextToken), for a window that ends `delayMinutes` before now
 * because ELB metrics arrive late. A minute without a datapoint is `null`, never 0; so is a value
 * CloudWatch should never send (NaN, infinite, negative).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  MetricDataQuery,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { callAws, defaultRetryPolicy, RetryPolicy } from './aws-call';
import { ControllerConfig, MinuteObservation, SteeredAction, TargetGroupConfig } from './contract';

/** GetMetricData's limit on queries in one call. */
export const MAX_QUERIES_PER_CALL = 500;
const MINUTE_MS = 60_000;

export interface MetricsWindow {
  /** Inclusive start, epoch ms, on a minute boundary. */
  readonly startMs: number;
  /** Exclusive end, epoch ms, on a minute boundary. */
  readonly endMs: number;
  /** The start of each visible minute, oldest first. */
  readonly minuteStartsMs: readonly number[];
}

/** The visible minutes: `windowMinutes` whole minutes ending `delayMinutes` before now. */
export function metricsWindow(
  nowMs: number,
  delayMinutes: number,
  windowMinutes: number,
): MetricsWindow {
  const endMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - delayMinutes * MINUTE_MS;
  const startMs = endMs - windowMinutes * MINUTE_MS;
  const minuteStartsMs = Array.from({ length: windowMinutes }, (_, i) => startMs + i * MINUTE_MS);
  return { startMs, endMs, minuteStartsMs };
}

/** One key per (load balancer, target group) pair: the same group behind two balancers differs. */
export function observationKey(tg: TargetGroupConfig): string {
  return `${tg.dimensions.LoadBalancer}|${tg.dimensions.TargetGroup}`;
}

export interface MetricsReadOptions {
  /**
   * Read TargetResponseTime p99 too. It goes in calls of its own, so an endpoint that cannot
   * serve percentiles (some emulators) costs the p99 values only.
   */
  readonly percentiles: boolean;
  readonly retry?: RetryPolicy;
}

export interface MetricsReadResult {
  /** Visible minutes by `observationKey`, oldest first, one entry per window minute. */
  readonly minutes: Map<string, MinuteObservation[]>;
  /** Whether p99 latency was read; false when not asked for or when the p99 read failed. */
  readonly percentilesRead: boolean;
  /** Problems that did not fail the read (a failed p99 read, partial data), for the log. */
  readonly warnings: string[];
}

type Field = 'requestCount' | 'http5xxCount' | 'latencyAvgMs' | 'latencyP99Ms' | 'healthyHostCount';

interface QueryPlan {
  readonly query: MetricDataQuery;
  readonly key: string;
  readonly field: Field | { readonly custom: string };
  /** Multiplier into the observation's unit (TargetResponseTime is in seconds). */
  readonly scale: number;
  readonly describe: string;
}

interface GroupToRead {
  readonly tg: TargetGroupConfig;
  readonly loadBalancerType: SteeredAction['loadBalancerType'];
}

function uniqueGroups(actions: readonly SteeredAction[]): GroupToRead[] {
  const groups = new Map<string, GroupToRead>();
  for (const action of actions) {
    for (const tg of action.targetGroups) {
      const key = observationKey(tg);
      const known = groups.get(key);
      // The same group may list different custom metrics in two actions: read them all.
      const customMetrics = [...(known?.tg.customMetrics ?? []), ...tg.customMetrics].filter(
        (m, i, all) => all.findIndex((o) => o.key === m.key) === i,
      );
      groups.set(key, { tg: { ...tg, customMetrics }, loadBalancerType: action.loadBalancerType });
    }
  }
  return [...groups.values()];
}

function elbQuery(
  id: string,
  group: GroupToRead,
  metricName: string,
  stat: string,
): MetricDataQuery {
  const namespace =
    group.loadBalancerType === 'application' ? 'AWS/ApplicationELB' : 'AWS/NetworkELB';
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: [
          { Name: 'LoadBalancer', Value: group.tg.dimensions.LoadBalancer },
          { Name: 'TargetGroup', Value: group.tg.dimensions.TargetGroup },
        ],
      },
      Period: 60,
      Stat: stat,
    },
    ReturnData: true,
  };
}

/** The queries to send: the main ones and, apart, the p99 ones. */
export function planQueries(
  actions: readonly SteeredAction[],
  percentiles: boolean,
): { main: QueryPlan[]; p99: QueryPlan[] } {
  const main: QueryPlan[] = [];
  const p99: QueryPlan[] = [];
  uniqueGroups(actions).forEach((group, i) => {
    const key = observationKey(group.tg);
    const label = group.tg.label;
    const add = (
      list: QueryPlan[],
      suffix: string,
      metric: string,
      stat: string,
      field: Field,
      scale = 1,
    ) =>
      list.push({
        query: elbQuery(`g${i}_${suffix}`, group, metric, stat),
        key,
        field,
        scale,
        describe: `${metric} ${stat} of ${label}`,
      });

    if (group.loadBalancerType === 'application') {
      add(main, 'rc', 'RequestCount', 'Sum', 'requestCount');
      add(main, 'e5', 'HTTPCode_Target_5XX_Count', 'Sum', 'http5xxCount');
      add(main, 'la', 'TargetResponseTime', 'Average', 'latencyAvgMs', 1000);
      if (percentiles) add(p99, 'lp', 'TargetResponseTime', 'p99', 'latencyP99Ms', 1000);
    }
    add(main, 'hh', 'HealthyHostCount', 'Minimum', 'healthyHostCount');

    group.tg.customMetrics.forEach((m, j) => {
      main.push({
        query: {
          Id: `g${i}_c${j}`,
          MetricStat: {
            Metric: {
              Namespace: m.namespace,
              MetricName: m.metricName,
              Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: 60,
            Stat: m.statistic,
          },
          ReturnData: true,
        },
        key,
        field: { custom: m.key },
        scale: 1,
        describe: `custom metric ${m.key} (${m.namespace} ${m.metricName} ${m.statistic}) of ${label}`,
      });
    });
  });
  return { main, p99 };
}

/** Sends the queries in calls of up to 500, following NextToken, and merges results by Id. */
async function fetchResults(
  cloudwatch: CloudWatchClient,
  plans: readonly QueryPlan[],
  window: MetricsWindow,
  retry: RetryPolicy,
  warnings: string[],
): Promise<Map<string, MetricDataResult[]>> {
  const results = new Map<string, MetricDataResult[]>();
  for (let i = 0; i < plans.length; i += MAX_QUERIES_PER_CALL) {
    const queries = plans.slice(i, i + MAX_QUERIES_PER_CALL).map((p) => p.query);
    let nextToken: string | undefined;
    do {
      const page = await callAws(
        'GetMetricData',
        () =>
          cloudwatch.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(window.startMs),
              EndTime: new Date(window.endMs),
              ScanBy: 'TimestampAscending',
              NextToken: nextToken,
            }),
          ),
        retry,
      );
      for (const r of page.MetricDataResults ?? []) {
        const id = r.Id ?? '';
        results.set(id, [...(results.get(id) ?? []), r]);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  for (const [id, pages] of results) {
    const last = pages[pages.length - 1];
    if (last.StatusCode === 'PartialData') {
      warnings.push(`GetMetricData returned partial data for ${id} with no NextToken to follow`);
    }
  }
  return results;
}

/** A usable CloudWatch value, or null for what must count as missing. */
export function cleanValue(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function applyResults(
  plans: readonly QueryPlan[],
  results: Map<string, MetricDataResult[]>,
  window: MetricsWindow,
  target: Map<string, Record<string, unknown>[]>,
): void {
  // Check every result before using any, so a failed read leaves no half-filled minutes.
  for (const plan of plans) {
    const pages = results.get(plan.query.Id ?? '') ?? [];
    const failed = pages.find(
      (p) => p.StatusCode === 'InternalError' || p.StatusCode === 'Forbidden',
    );
    if (failed) {
      const detail = (failed.Messages ?? []).map((m) => `${m.Code}: ${m.Value}`).join('; ');
      throw new Error(
        `GetMetricData could not read ${plan.describe}: ${failed.StatusCode}${detail ? ` (${detail})` : ''}`,
      );
    }
  }
  for (const plan of plans) {
    const pages = results.get(plan.query.Id ?? '') ?? [];
    const minutes = target.get(plan.key)!;
    for (const page of pages) {
      (page.Timestamps ?? []).forEach((ts, n) => {
        const index = window.minuteStartsMs.indexOf(
          Math.floor(new Date(ts).getTime() / MINUTE_MS) * MINUTE_MS,
        );
        const value = cleanValue(page.Values?.[n]);
        if (index < 0 || value === null) return;
        const minute = minutes[index];
        const scaled = value * plan.scale;
        if (typeof plan.field === 'string') minute[plan.field] = scaled;
        else (minute.custom as Record<string, number | null>)[plan.field.custom] = scaled;
      });
    }
  }
}

/** Reads the visible minutes of every target group of every configured action. */
export async function readMetrics(
  cloudwatch: CloudWatchClient,
  config: ControllerConfig,
  nowMs: number,
  options: MetricsReadOptions,
): Promise<MetricsReadResult> {
  const retry = options.retry ?? defaultRetryPolicy;
  const window = metricsWindow(nowMs, config.metrics.delayMinutes, config.metrics.windowMinutes);
  const { main, p99 } = planQueries(config.actions, options.percentiles);
  const warnings: string[] = [];

  const draft = new Map<string, Record<string, unknown>[]>();
  for (const group of uniqueGroups(config.actions)) {
    const custom = Object.fromEntries(group.tg.customMetrics.map((m) => [m.key, null]));
    draft.set(
      observationKey(group.tg),
      window.minuteStartsMs.map((startMs) => ({
        startMs,
        requestCount: null,
        http5xxCount: null,
        latencyAvgMs: null,
        latencyP99Ms: null,
        healthyHostCount: null,
        custom: { ...custom },
      })),
    );
  }

  applyResults(main, await fetchResults(cloudwatch, main, window, retry, warnings), window, draft);

  let percentilesRead = false;
  if (p99.length > 0) {
    try {
      applyResults(
        p99,
        await fetchResults(cloudwatch, p99, window, retry, warnings),
        window,
        draft,
      );
      percentilesRead = true;
    } catch (error) {
      warnings.push(
        `p99 latency not read, policies see it as missing: ${(error as Error).message}`,
      );
    }
  }

  const typeByKey = new Map(
    uniqueGroups(config.actions).map((g) => [observationKey(g.tg), g.loadBalancerType]),
  );
  const minutes = new Map<string, MinuteObservation[]>();
  for (const [key, list] of draft) {
    // NLB publishes no per-target-group traffic, so its "no data" is the missing health metric.
    const signal = typeByKey.get(key) === 'application' ? 'requestCount' : 'healthyHostCount';
    minutes.set(
      key,
      list.map((m) => ({ ...(m as unknown as MinuteObservation), noData: m[signal] === null })),
    );
  }
  return { minutes, percentilesRead, warnings };
}
