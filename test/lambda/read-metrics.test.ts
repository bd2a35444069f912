import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricDataCommandInput,
  MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readAlarms } from '../../lambda/read-alarms';
import {
  MAX_QUERIES_PER_CALL,
  metricsWindow,
  planQueries,
  readMetrics,
} from '../../lambda/read-metrics';
import { actionConfig, awsError, config, instantRetry } from './controller-fixtures';

const cwMock = mockClient(CloudWatchClient);
const cloudwatch = new CloudWatchClient({});
beforeEach(() => cwMock.reset());

// 12:07:30; delay 2 and window 5 make the visible minutes 12:00 to 12:04.
const NOW_MS = Date.UTC(2026, 0, 1, 12, 7, 30);
const minute = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m));
const options = { percentiles: false, retry: instantRetry() };

/** Answers every query with `values(id)`: one value per visible minute (null leaves a gap). */
function answer(values: (id: string) => (number | null)[]) {
  return (input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q: MetricDataQuery) => {
      const vs = values(q.Id!);
      const present = vs.map((v, i) => [v, i] as const).filter(([v]) => v !== null);
      return {
        Id: q.Id,
        StatusCode: 'Complete' as const,
        Timestamps: present.map(([, i]) => minute(i)),
        Values: present.map(([v]) => v as number),
      };
    }),
  });
}

describe('metricsWindow', () => {
  it('ends the configured delay before the current minute and covers whole minutes', () => {
    const window = metricsWindow(NOW_MS, 2, 5);

    expect(new Date(window.startMs).toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(new Date(window.endMs).toISOString()).toBe('2026-01-01T12:05:00.000Z');
    expect(window.minuteStartsMs).toHaveLength(5);
  });
});

describe('planQueries', () => {
  it('reads request count, 5xx, average latency and healthy hosts from AWS/ApplicationELB for an ALB', () => {
    const { main, p99 } = planQueries(config().actions, true);

    const first = main.filter((p) => p.key.endsWith('targetgroup/on-demand/73e2d6bc24d8a067'));
    expect(
      first.map((p) => `${p.query.MetricStat?.Metric?.MetricName} ${p.query.MetricStat?.Stat}`),
    ).toEqual([
      'RequestCount Sum',
      'HTTPCode_Target_5XX_Count Sum',
      'TargetResponseTime Average',
      'HealthyHostCount Minimum',
    ]);
    expect(first[0].query.MetricStat?.Metric?.Namespace).toBe('AWS/ApplicationELB');
    expect(p99.map((p) => p.query.MetricStat?.Stat)).toEqual(['p99', 'p99', 'p99']);
  });

  it('reads only healthy hosts from AWS/NetworkELB for an NLB, which has no per-group traffic metrics', () => {
    const { main, p99 } = planQueries(
      config({ actions: [actionConfig({ loadBalancerType: 'network' })] }).actions,
      true,
    );

    expect(main.map((p) => p.query.MetricStat?.Metric?.MetricName)).toEqual([
      'HealthyHostCount',
      'HealthyHostCount',
      'HealthyHostCount',
    ]);
    expect(main[0].query.MetricStat?.Metric?.Namespace).toBe('AWS/NetworkELB');
    expect(p99).toEqual([]);
  });

  it('adds a query for each custom metric with its own namespace, dimensions and statistic', () => {
    const action = actionConfig();
    const customMetrics = [
      {
        key: 'queueDepth',
        namespace: 'App',
        metricName: 'QueueDepth',
        dimensions: { Queue: 'orders' },
        statistic: 'Maximum',
      },
    ];
    action.targetGroups[0] = {
      ...action.targetGroups[0],
      customMetrics,
    } as (typeof action.targetGroups)[0];
    const { main } = planQueries(config({ actions: [action] }).actions, false);

    const custom = main.find((p) => typeof p.field === 'object');
    expect(custom?.query.MetricStat).toEqual({
      Metric: {
        Namespace: 'App',
        MetricName: 'QueueDepth',
        Dimensions: [{ Name: 'Queue', Value: 'orders' }],
      },
      Period: 60,
      Stat: 'Maximum',
    });
  });
});

describe('readMetrics', () => {
  it('turns datapoints into visible minutes and marks a minute without requests as no data, not zero', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .callsFake(
        answer((id) =>
          id.endsWith('_rc')
            ? [100, null, 120, 130, 140]
            : id.endsWith('_la')
              ? [0.05, null, 0.05, 0.05, 0.2]
              : [2, 2, 2, 2, 2],
        ),
      );

    const { minutes } = await readMetrics(cloudwatch, config(), NOW_MS, options);

    const onDemand = minutes.get(
      'app/web/50dc6c495c0c9188|targetgroup/on-demand/73e2d6bc24d8a067',
    )!;
    expect(onDemand.map((m) => m.requestCount)).toEqual([100, null, 120, 130, 140]);
    expect(onDemand.map((m) => m.noData)).toEqual([false, true, false, false, false]);
    expect(onDemand[4].latencyAvgMs).toBeCloseTo(200);
    expect(onDemand[1].latencyAvgMs).toBeNull();
    expect(onDemand[0].latencyP99Ms).toBeNull();
  });

  it('treats NaN, infinite and negative values as missing', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .callsFake(
        answer((id) => (id.endsWith('_rc') ? [NaN, Infinity, -5, -Infinity, 7] : [1, 1, 1, 1, 1])),
      );

    const { minutes } = await readMetrics(cloudwatch, config(), NOW_MS, options);

    const spot = minutes.get('app/web/50dc6c495c0c9188|targetgroup/spot/73e2d6bc24d8a067')!;
    expect(spot.map((m) => m.requestCount)).toEqual([null, null, null, null, 7]);
    expect(spot.map((m) => m.noData)).toEqual([true, true, true, true, false]);
  });

  it('follows NextToken when CloudWatch returns partial data and merges the pages', async () => {
    cwMock
      .on(GetMetricDataCommand, { NextToken: undefined })
      .callsFake((input: GetMetricDataCommandInput) => {
        const firstPage = answer((id) =>
          id.endsWith('_rc') ? [10, 20, null, null, null] : [1, 1, 1, 1, 1],
        );
        const results = firstPage(input).MetricDataResults.map((r) => ({
          ...r,
          StatusCode: 'PartialData' as const,
        }));
        return { MetricDataResults: results, NextToken: 'more' };
      })
      .on(GetMetricDataCommand, { NextToken: 'more' })
      .callsFake(
        answer((id) =>
          id.endsWith('_rc') ? [null, null, 30, 40, 50] : [null, null, null, null, null],
        ),
      );

    const { minutes, warnings } = await readMetrics(cloudwatch, config(), NOW_MS, options);

    const canary = minutes.get('app/web/50dc6c495c0c9188|targetgroup/canary/73e2d6bc24d8a067')!;
    expect(canary.map((m) => m.requestCount)).toEqual([10, 20, 30, 40, 50]);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(warnings).toEqual([]);
  });

  it('warns when CloudWatch reports partial data with no NextToken to follow', async () => {
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: answer(() => [1, 1, 1, 1, 1])(input).MetricDataResults.map((r) => ({
        ...r,
        StatusCode: 'PartialData' as const,
      })),
    }));

    const { warnings } = await readMetrics(cloudwatch, config(), NOW_MS, options);

    expect(warnings[0]).toMatch(
      /^GetMetricData returned partial data for g0_rc with no NextToken to follow$/,
    );
  });

  it('sends at most 500 queries a call', async () => {
    const actions = Array.from({ length: 40 }, (_, n) => {
      const a = actionConfig({ id: `action-${n}` });
      a.targetGroups = a.targetGroups.map((tg) => ({
        ...tg,
        dimensions: { ...tg.dimensions, TargetGroup: `targetgroup/g${n}-${tg.label}/1` },
      }));
      return a;
    });
    cwMock.on(GetMetricDataCommand).callsFake(answer(() => [1, 1, 1, 1, 1]));

    await readMetrics(cloudwatch, config({ actions }), NOW_MS, options);

    // 40 actions x 3 groups x 4 queries = 480, which fit one call.
    const sizes = cwMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries!.length);
    expect(sizes).toEqual([480]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_QUERIES_PER_CALL);
  });

  it('splits more than 500 queries over several calls', async () => {
    const actions = Array.from({ length: 50 }, (_, n) => {
      const a = actionConfig({ id: `action-${n}` });
      a.targetGroups = a.targetGroups.map((tg) => ({
        ...tg,
        dimensions: { ...tg.dimensions, TargetGroup: `targetgroup/g${n}-${tg.label}/1` },
      }));
      return a;
    });
    cwMock.on(GetMetricDataCommand).callsFake(answer(() => [1, 1, 1, 1, 1]));

    await readMetrics(cloudwatch, config({ actions }), NOW_MS, options);

    const sizes = cwMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries!.length);
    expect(sizes).toEqual([500, 100]);
  });

  it('reads p99 latency in its own call and converts it to milliseconds', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .callsFake(
        answer((id) => (id.endsWith('_lp') ? [0.5, 0.5, 0.5, 0.5, 0.9] : [1, 1, 1, 1, 1])),
      );

    const result = await readMetrics(cloudwatch, config(), NOW_MS, {
      ...options,
      percentiles: true,
    });

    const spot = result.minutes.get('app/web/50dc6c495c0c9188|targetgroup/spot/73e2d6bc24d8a067')!;
    expect(spot[4].latencyP99Ms).toBeCloseTo(900);
    expect(result.percentilesRead).toBe(true);
    const calls = cwMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries!.map((q) => q.MetricStat!.Stat));
    expect(calls).toEqual([expect.not.arrayContaining(['p99']), ['p99', 'p99', 'p99']]);
  });

  it('keeps the other metrics when the p99 read fails, and warns', async () => {
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      if (input.MetricDataQueries!.some((q) => q.MetricStat?.Stat === 'p99'))
        throw awsError('InternalError', 500, 'percentiles are not supported');
      return answer(() => [3, 3, 3, 3, 3])(input);
    });

    const result = await readMetrics(cloudwatch, config(), NOW_MS, {
      ...options,
      percentiles: true,
    });

    expect(result.percentilesRead).toBe(false);
    expect(result.warnings).toEqual([
      'p99 latency not read, policies see it as missing: GetMetricData failed after 1 attempt(s): InternalError: percentiles are not supported',
    ]);
    const spot = result.minutes.get('app/web/50dc6c495c0c9188|targetgroup/spot/73e2d6bc24d8a067')!;
    expect(spot.map((m) => [m.requestCount, m.latencyP99Ms])).toEqual(Array(5).fill([3, null]));
  });

  it('drops every p99 value when one p99 result comes back as an internal error', async () => {
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: answer(() => [0.4, 0.4, 0.4, 0.4, 0.4])(input).MetricDataResults.map(
        (r) => (r.Id === 'g2_lp' ? { Id: r.Id, StatusCode: 'InternalError' as const } : r),
      ),
    }));

    const result = await readMetrics(cloudwatch, config(), NOW_MS, {
      ...options,
      percentiles: true,
    });

    expect(result.percentilesRead).toBe(false);
    expect(result.warnings[0]).toMatch(
      /^p99 latency not read.*TargetResponseTime p99 of canary: InternalError$/,
    );
    const all = [...result.minutes.values()].flat();
    expect(all.every((m) => m.latencyP99Ms === null)).toBe(true);
    expect(all.every((m) => m.latencyAvgMs !== null)).toBe(true);
  });

  it('fails naming the metric when CloudWatch refuses a main query', async () => {
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: answer(() => [1, 1, 1, 1, 1])(input).MetricDataResults.map((r) =>
        r.Id === 'g1_hh'
          ? {
              Id: r.Id,
              StatusCode: 'Forbidden' as const,
              Messages: [{ Code: 'Forbidden', Value: 'no access' }],
            }
          : r,
      ),
    }));

    await expect(readMetrics(cloudwatch, config(), NOW_MS, options)).rejects.toThrow(
      'GetMetricData could not read HealthyHostCount Minimum of spot: Forbidden (Forbidden: no access)',
    );
  });

  it('retries throttled GetMetricData calls', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .rejectsOnce(awsError('Throttling', 400, 'Rate exceeded'))
      .callsFake(answer(() => [1, 1, 1, 1, 1]));

    const { minutes } = await readMetrics(cloudwatch, config(), NOW_MS, options);

    expect(minutes.size).toBe(3);
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });
});

describe('readAlarms', () => {
  it('returns the state of each named alarm and INSUFFICIENT_DATA for one that does not exist', async () => {
    cwMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'errors', StateValue: 'ALARM' }],
      CompositeAlarms: [{ AlarmName: 'health', StateValue: 'OK' }],
    });

    const result = await readAlarms(cloudwatch, ['errors', 'health', 'gone']);

    expect(result.alarms).toEqual({ errors: 'ALARM', health: 'OK', gone: 'INSUFFICIENT_DATA' });
    expect(result.missing).toEqual(['gone']);
  });

  it('makes no call when no alarm is named', async () => {
    await readAlarms(cloudwatch, []);
    expect(cwMock).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });
});
