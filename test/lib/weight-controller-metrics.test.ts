/**
 * Proves that the dashboard and alarms watch what the handler really publishes: the handler's own
 * telemetry functions run here, their embedded-metric-format lines are parsed, and every
 * controller metric the synthesized template refers to must be among them, dimensions included.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { ActionPlan } from '../../lambda/control';
import { decide, INSUFFICIENT_DATA_REASON } from '../../lambda/decide';
import { healthyHostsPolicy } from '../../lambda/policies/healthy-hosts';
import { ACTION_METRICS } from '../../lambda/metric-names';
import { ActionReport, publishActionMetrics, publishRunMetrics } from '../../lambda/telemetry';
import { group, input, minute } from '../lambda/decide-fixtures';
import { controllerStack } from './weight-controller-fixtures';

const NAMESPACE = 'WeightedBalancer';

/** Runs `fn` and returns every JSON line it wrote to stdout. */
function captureJsonLines(fn: () => void): Record<string, any>[] {
  const lines: string[] = [];
  const spy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.trim().startsWith('{')),
      );
      return true;
    });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines.map((line) => JSON.parse(line));
}

/** "Name|dim=value,..." for a metric, dimensions sorted. */
const key = (name: string, dimensions: Record<string, string>) =>
  `${name}|${Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

function emittedMetrics(): Set<string> {
  const steered = ['web-default', 'web-api'].map((id, i) => ({
    id,
    loadBalancerType: 'application' as const,
    listenerArn: 'arn:aws:elasticloadbalancing:x',
    targetGroups: (i === 0 ? ['on-demand', 'spot'] : ['blue', 'green']).map((label) => ({
      targetGroupArn: `arn:aws:elasticloadbalancing:tg/${label}`,
      label,
      dimensions: { LoadBalancer: 'app/web/1', TargetGroup: `targetgroup/${label}/1` },
      customMetrics: [],
    })),
  }));
  const lines = captureJsonLines(() => {
    for (const action of steered) {
      const plan = {
        actionId: action.id,
        mode: 'steer',
        outsideChangeSeen: true,
        decision: undefined,
      } as unknown as ActionPlan;
      const report = {
        actionId: action.id,
        mode: 'steer' as const,
        outcome: 'written' as const,
        liveWeights: [1, 1],
        weights: [1, 1],
        reason: '',
      } satisfies ActionReport;
      publishActionMetrics(NAMESPACE, action, plan, report);
    }
    publishRunMetrics(NAMESPACE, true);
  });

  const emitted = new Set<string>();
  for (const line of lines) {
    for (const directive of line._aws?.CloudWatchMetrics ?? []) {
      if (directive.Namespace !== NAMESPACE) continue;
      for (const dimensionSet of directive.Dimensions as string[][]) {
        const dimensions = Object.fromEntries(dimensionSet.map((d) => [d, String(line[d])]));
        for (const metric of directive.Metrics as { Name: string }[])
          emitted.add(key(metric.Name, dimensions));
      }
    }
  }
  return emitted;
}

/** Controller metrics the template's alarms and dashboard refer to. */
function referencedMetrics(template: Template): Set<string> {
  const referenced = new Set<string>();
  const add = (metric: {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: { Name: string; Value: string }[];
  }) => {
    if (metric.Namespace !== NAMESPACE || metric.MetricName === undefined) return;
    const dimensions = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
    referenced.add(key(metric.MetricName, dimensions));
  };

  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    add(alarm.Properties);
    for (const query of alarm.Properties.Metrics ?? [])
      if (query.MetricStat) add(query.MetricStat.Metric);
  }

  for (const dashboard of Object.values(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
    for (const widget of body.widgets) {
      for (const row of widget.properties.metrics ?? []) {
        const [namespace, metricName, ...rest] = row as unknown[];
        const pairs = rest.filter((r) => typeof r === 'string') as string[];
        const dimensions = Array.from({ length: pairs.length / 2 }, (_, i) => ({
          Name: pairs[2 * i],
          Value: pairs[2 * i + 1],
        }));
        add({
          Namespace: namespace as string,
          MetricName: metricName as string,
          Dimensions: dimensions,
        });
      }
    }
  }
  return referenced;
}

describe('the controller metrics the construct watches', () => {
  test('are all published by the handler, under the same names and dimensions', () => {
    const emitted = emittedMetrics();
    const referenced = referencedMetrics(controllerStack().template());

    expect(referenced.size).toBeGreaterThanOrEqual(6);
    for (const action of ['web-default', 'web-api'])
      expect(referenced).toContain(
        key(ACTION_METRICS.insufficientDataHolds, {
          service: 'weight-controller',
          Action: action,
        }),
      );
    expect([...referenced].filter((metric) => !emitted.has(metric))).toEqual([]);
  });

  test('include holds for lack of data, which the handler counts for the action the alarm watches', () => {
    const silent = [minute({ noData: true, requestCount: null })];
    const decision = decide(input([group('a', 999, 2, silent)], healthyHostsPolicy));
    expect(decision.held).toBe(true);
    expect(decision.reason.startsWith(INSUFFICIENT_DATA_REASON)).toBe(true);
    const action = {
      id: 'web-default',
      loadBalancerType: 'application' as const,
      listenerArn: 'arn:aws:elasticloadbalancing:x',
      targetGroups: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:tg/a',
          label: 'a',
          dimensions: { LoadBalancer: 'app/web/1', TargetGroup: 'targetgroup/a/1' },
          customMetrics: [],
        },
      ],
    };
    const plan = {
      actionId: 'web-default',
      mode: 'steer',
      reason: decision.reason,
      decision,
      outsideChangeSeen: false,
    } as unknown as ActionPlan;
    const report = {
      actionId: 'web-default',
      mode: 'steer' as const,
      outcome: 'unchanged' as const,
      liveWeights: [999],
      weights: [999],
      reason: decision.reason,
    } satisfies ActionReport;

    const lines = captureJsonLines(() => publishActionMetrics(NAMESPACE, action, plan, report));
    const perAction = lines.find((l) => l._aws && l.Action === 'web-default' && !l.TargetGroup);

    expect(perAction).toMatchObject({ [ACTION_METRICS.insufficientDataHolds]: 1, Holds: 1 });
    const alarms = Object.values(
      controllerStack().template().findResources('AWS::CloudWatch::Alarm'),
    ).filter((a) => a.Properties.MetricName === ACTION_METRICS.insufficientDataHolds);
    expect(alarms.map((a) => a.Properties.Dimensions)).toContainEqual(
      expect.arrayContaining([{ Name: 'Action', Value: 'web-default' }]),
    );
  });
});
