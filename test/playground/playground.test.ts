/**
 * The playground's pure parts: the scenario clock shift, the datapoints a simulated minute makes,
 * the observations the handler would build from them, the template resolver and the CLI options.
 */
import { SIMULATION_EPOCH_MS } from '../../bench/sim/simulate';
import { controllerConfigSchema, MinuteObservation } from '../../lambda/contract';
import { parseCli } from '../../playground/cli';
import { CloudWatchMinutes, elbDatapoints, isWithheld } from '../../playground/minutes';
import { Resolved, resolveCfn } from '../../playground/moto-deploy';
import { playgroundScenario, startingWeights } from '../../playground/scenario';

const MINUTE_MS = 60_000;

function minute(index: number, fields: Partial<MinuteObservation> = {}): MinuteObservation {
  return {
    startMs: SIMULATION_EPOCH_MS + index * MINUTE_MS,
    noData: false,
    requestCount: 1000,
    http5xxCount: 4,
    latencyAvgMs: 62.5,
    latencyP99Ms: 240,
    healthyHostCount: 3,
    custom: {},
    ...fields,
  };
}

describe('playgroundScenario', () => {
  it('moves the change to the given minute and leaves the fleet as it was', () => {
    const shifted = playgroundScenario('S4', 5);

    expect(shifted.conditionAt(1, 4 * 60 + 59).ratePerWorker).toBe(30);
    expect(shifted.conditionAt(1, 5 * 60).ratePerWorker).toBe(10);
    expect(shifted.changeEndMinute).toBe(65);
    expect(shifted.groups.map((g) => g.hosts)).toEqual([4, 3, 5]);
  });

  it("moves a canary group's join by as much as the change", () => {
    const shifted = playgroundScenario('S8', 40);

    expect(shifted.groups.map((g) => [g.label, g.joinMinute])).toEqual([
      ['A', 0],
      ['B', 0],
      ['C', 0],
      ['D', 10],
    ]);
  });

  it('rejects a change moved so early that the canary group would join before minute 1', () => {
    expect(() => playgroundScenario('S7', 30)).toThrow(
      "changeAtMinute is 30; S7's group D would join before minute 1, so it must be at least 31",
    );
  });

  it('rejects a change moved past where the scenario has it', () => {
    expect(() => playgroundScenario('S4', 61)).toThrow(
      "changeAtMinute is 61; it must be a whole minute from 0 to 60 (where S4's change starts)",
    );
  });

  it("starts from weights proportional to each group's capacity, the largest at 999", () => {
    expect(startingWeights(playgroundScenario('S1'))).toEqual([888, 999, 444]);
  });

  it('starts a group that joins later at weight 0', () => {
    expect(startingWeights(playgroundScenario('S7'))).toEqual([888, 999, 444, 0]);
  });
});

describe('elbDatapoints', () => {
  it('gives latency in seconds, as ELB publishes TargetResponseTime', () => {
    expect(elbDatapoints(minute(3))).toEqual({
      RequestCount: 1000,
      HTTPCode_Target_5XX_Count: 4,
      TargetResponseTime: 0.0625,
      HealthyHostCount: 3,
    });
  });

  it('gives no datapoint at all for a minute without traffic', () => {
    expect(elbDatapoints(minute(3, { noData: true, requestCount: null }))).toBeUndefined();
    expect(elbDatapoints(minute(3, { requestCount: 0 }))).toBeUndefined();
    expect(elbDatapoints(undefined)).toBeUndefined();
  });
});

describe('isWithheld', () => {
  it('withholds from the first minute up to, not including, the last', () => {
    const withhold = { label: 'B', fromMinute: 3, toMinute: 5 };
    expect([2, 3, 4, 5].map((m) => isWithheld(withhold, 'B', m))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(isWithheld(withhold, 'A', 3)).toBe(false);
  });
});

describe('CloudWatchMinutes', () => {
  const config = controllerConfigSchema.parse({
    version: 1,
    stateParameterName: '/p/state',
    policy: { name: 'adaptive' },
    metrics: { delayMinutes: 2, windowMinutes: 3 },
    actions: [
      {
        id: 'web',
        loadBalancerType: 'application',
        listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/w/1/2',
        targetGroups: ['A', 'B'].map((label) => ({
          targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/${label}/1`,
          label,
          dimensions: { LoadBalancer: 'app/w/1', TargetGroup: `targetgroup/${label}/1` },
        })),
      },
    ],
  });
  const groups = [
    { label: 'A', currentWeight: 600, liveHealthyHosts: 4, ended: undefined },
    { label: 'B', currentWeight: 400, liveHealthyHosts: 2, ended: undefined },
  ];

  it("shows the handler's window, ending the metric delay before now, with p99 always missing", () => {
    const cloudWatch = new CloudWatchMinutes();
    for (const m of [4, 5, 6, 7, 8])
      cloudWatch.put('A', minute(m).startMs, elbDatapoints(minute(m))!);

    const nowMs = SIMULATION_EPOCH_MS + 9 * MINUTE_MS + 5_000;
    const [a] = cloudWatch.observations(config, config.actions[0], nowMs, groups);

    expect(a.minutes.map((m) => (m.startMs - SIMULATION_EPOCH_MS) / MINUTE_MS)).toEqual([4, 5, 6]);
    expect(a.minutes[0]).toEqual({ ...minute(4), latencyP99Ms: null });
    expect(a).toMatchObject({ label: 'A', currentWeight: 600, healthyHostCount: 4 });
  });

  it('shows a minute without a datapoint as no data, never as zero', () => {
    const cloudWatch = new CloudWatchMinutes();
    const nowMs = SIMULATION_EPOCH_MS + 9 * MINUTE_MS + 5_000;

    const [, b] = cloudWatch.observations(config, config.actions[0], nowMs, groups);

    expect(b.minutes[2]).toEqual({
      startMs: minute(6).startMs,
      noData: true,
      requestCount: null,
      http5xxCount: null,
      latencyAvgMs: null,
      latencyP99Ms: null,
      healthyHostCount: null,
      custom: {},
    });
  });
});

describe('resolveCfn', () => {
  const resources = new Map<string, Resolved>([
    ['Lb', { ref: 'arn:lb', attributes: { LoadBalancerFullName: 'app/web/1' } }],
    ['Tg', { ref: 'arn:aws:elb:r:1:targetgroup/tg/2', attributes: {} }],
  ]);

  it('resolves the references, attributes, joins and splits the constructs write', () => {
    const expression = {
      'Fn::Join': [
        '',
        [
          '{"lb":"',
          { 'Fn::GetAtt': ['Lb', 'LoadBalancerFullName'] },
          '","tg":"',
          { 'Fn::Select': [5, { 'Fn::Split': [':', { Ref: 'Tg' }] }] },
          '","region":"',
          { Ref: 'AWS::Region' },
          '"}',
        ],
      ],
    };
    expect(JSON.parse(String(resolveCfn(expression, resources)))).toEqual({
      lb: 'app/web/1',
      tg: 'targetgroup/tg/2',
      region: 'us-east-1',
    });
  });

  it('names the function it cannot resolve', () => {
    expect(() => resolveCfn({ 'Fn::ImportValue': 'x' }, resources)).toThrow(
      'the template uses Fn::ImportValue, which the playground cannot resolve against moto',
    );
    expect(() => resolveCfn({ Ref: 'Missing' }, resources)).toThrow(
      'Ref Missing names nothing the playground created in moto',
    );
  });
});

describe('parseCli', () => {
  it('reads the options of a run', () => {
    expect(
      parseCli([
        '--scenario',
        'S5',
        '--policy',
        'healthy-hosts',
        '--minutes',
        '30',
        '--seed',
        '3',
        '--withhold',
        'C:4-9',
      ]),
    ).toMatchObject({
      scenarioId: 'S5',
      policy: 'healthy-hosts',
      minutes: 30,
      seed: 3,
      speed: 0,
      withhold: { label: 'C', fromMinute: 4, toMinute: 9 },
    });
  });

  it('rejects bad values, naming the option, the value and the rule', () => {
    expect(() => parseCli(['--minutes', '1.5'])).toThrow(
      '--minutes is "1.5"; it must be a whole number of at least 1',
    );
    expect(() => parseCli(['--withhold', 'B:9-4'])).toThrow(
      '--withhold is "B:9-4"; it must read LABEL:FROM-TO with FROM < TO, e.g. B:5-9',
    );
    expect(() => parseCli(['--policy', 'no/such-policy.ts'])).toThrow(
      '--policy is "no/such-policy.ts"; no such policy file',
    );
    expect(() => parseCli(['--policy', 'fastest'])).toThrow(
      /^--policy is "fastest"; it must be a built-in policy \(.*adaptive.*\) or a policy file$/,
    );
  });
});
