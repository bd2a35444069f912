import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ControllerConfigInput } from '../../lambda/contract';
import { createHandler, RunResult } from '../../lambda/handler';
import { ControllerState } from '../../lambda/state';
import {
  actionConfig,
  awsError,
  configInput,
  forwardAction,
  instantRetry,
  LABELS,
  LISTENER_ARN,
  RULE_ARN,
  tgArn,
} from './controller-fixtures';

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const cwMock = mockClient(CloudWatchClient);
const ssmMock = mockClient(SSMClient);
const NOW_MS = Date.UTC(2026, 0, 1, 12, 7, 30);

let lines: string[];
let stdoutWrite: jest.SpyInstance;
let stderrWrite: jest.SpyInstance;
beforeEach(() => {
  elbv2Mock.reset();
  cwMock.reset();
  ssmMock.reset();
  lines = [];
  stdoutWrite = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  // The logger writes warnings and errors to stderr.
  stderrWrite = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.startsWith('{')),
      );
      return true;
    });
});
afterEach(() => {
  stdoutWrite.mockRestore();
  stderrWrite.mockRestore();
});

const jsonLines = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
const decisionLogs = () => jsonLines().filter((l) => l.message === 'decision');
const emf = () => jsonLines().filter((l) => l._aws);

/** A listener and a rule that forward to three groups, the third without healthy hosts. */
function world(
  options: {
    listener?: Action[];
    rule?: Action[];
    healthy?: number[];
    state?: ControllerState;
    /** CloudWatch returns no datapoints at all. */
    noData?: boolean;
  } = {},
) {
  const listener = options.listener ?? [forwardAction([10, 10, 10])];
  const rule = options.rule ?? [forwardAction([10, 10, 10])];
  const healthy = options.healthy ?? [2, 2, 0];
  elbv2Mock
    .on(DescribeListenersCommand)
    .resolves({ Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: listener }] });
  elbv2Mock.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: RULE_ARN, Actions: rule }] });
  LABELS.forEach((label, i) =>
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: tgArn(label) }).resolves({
      TargetHealthDescriptions: Array.from({ length: healthy[i] }, () => ({
        TargetHealth: { State: 'healthy' as const },
      })),
    }),
  );
  cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: input.MetricDataQueries!.map((q) => ({
      Id: q.Id,
      StatusCode: 'Complete',
      Timestamps: options.noData
        ? []
        : [0, 1, 2, 3, 4].map((m) => new Date(Date.UTC(2026, 0, 1, 12, m))),
      Values: options.noData ? [] : [100, 100, 100, 100, 100],
    })),
  }));
  cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  if (options.state)
    ssmMock
      .on(GetParameterCommand, { Name: '/wb/state' })
      .resolves({ Parameter: { Value: JSON.stringify(options.state) } });
  else
    ssmMock.on(GetParameterCommand, { Name: '/wb/state' }).rejects(awsError('ParameterNotFound'));
  ssmMock.on(PutParameterCommand).resolves({});
}

/** Lets every Modify land, so the read-back sees what was written. */
function modifiesLand() {
  elbv2Mock.on(ModifyListenerCommand).callsFake((input) => {
    elbv2Mock.on(DescribeListenersCommand).resolves({
      Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: input.DefaultActions }],
    });
    return {};
  });
  elbv2Mock.on(ModifyRuleCommand).callsFake((input) => {
    elbv2Mock
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ RuleArn: RULE_ARN, Actions: input.Actions }] });
    return {};
  });
}

const twoActions = (overrides: Partial<ControllerConfigInput> = {}) =>
  configInput({
    actions: [actionConfig(), actionConfig({ id: 'web-api', ruleArn: RULE_ARN })],
    metrics: { namespace: 'WB', delayMinutes: 2, windowMinutes: 5 },
    ...overrides,
  });

function handler(cfg: ControllerConfigInput) {
  return createHandler({
    clients: {
      elbv2: new ElasticLoadBalancingV2Client({}),
      cloudwatch: new CloudWatchClient({}),
      ssm: new SSMClient({}),
    },
    now: () => NOW_MS,
    loadConfigText: async () => JSON.stringify(cfg),
    retry: instantRetry(),
    readPercentiles: true,
  });
}

const savedStates = () =>
  ssmMock
    .commandCalls(PutParameterCommand)
    .map((c) => JSON.parse(c.args[0].input.Value!) as ControllerState);

describe('a scheduled run', () => {
  it('writes the listener and the rule and remembers what it wrote', async () => {
    world();
    modifiesLand();

    const result = (await handler(twoActions())({ source: 'aws.events' })) as RunResult;

    expect(result.written).toEqual(['web-default', 'web-api']);
    const last = savedStates().at(-1)!;
    expect(last.actions['web-default'].lastWritten?.weights).toEqual(result.actions[0].weights);
    expect(last.actions['web-default'].lastWritten?.weights[2]).toBe(0);
  });

  it('logs one decision line per action with the inputs that drove it', async () => {
    world();
    modifiesLand();

    await handler(twoActions())({});

    const logs = decisionLogs();
    expect(logs.map((l) => l.actionId)).toEqual(['web-default', 'web-api']);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      service: 'weight-controller',
      mode: 'steer',
      outcome: 'written',
      liveWeights: [10, 10, 10],
      targetGroups: [
        { label: 'on-demand', healthyHostCount: 2, requestCount: 500, minutesWithData: 5 },
        { label: 'spot', healthyHostCount: 2 },
        { label: 'canary', healthyHostCount: 0 },
      ],
    });
    expect(JSON.stringify(logs[0])).not.toContain('aws.events');
  });

  it('publishes weights and decisions as embedded metrics in the configured namespace', async () => {
    world();
    modifiesLand();

    await handler(twoActions())({});

    const metrics = emf();
    const canaryWeight = metrics.find(
      (m) => m.Action === 'web-default' && m.TargetGroup === 'canary',
    );
    expect(canaryWeight).toMatchObject({ Weight: 0, Share: 0, service: 'weight-controller' });
    expect(canaryWeight!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'WB',
      Dimensions: [['service', 'Action', 'TargetGroup']],
    });
    const perAction = metrics.find((m) => m.Action === 'web-api' && m.TargetGroup === undefined);
    expect(perAction).toMatchObject({
      Decisions: 1,
      Writes: 1,
      Holds: 0,
      OutsideChanges: 0,
      InsufficientDataHolds: 0,
    });
    expect(metrics.find((m) => 'Runs' in m)).toMatchObject({ Runs: 1, RunFailures: 0 });
  });

  it('counts a hold for lack of data per action when no datapoints arrive', async () => {
    world({ noData: true, healthy: [2, 2, 2] });
    modifiesLand();

    await handler(twoActions())({});

    for (const action of ['web-default', 'web-api']) {
      const perAction = emf().find((m) => m.Action === action && m.TargetGroup === undefined);
      expect(perAction).toMatchObject({ Holds: 1, Writes: 0, InsufficientDataHolds: 1 });
      expect(perAction!._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'WB',
        Dimensions: [['service', 'Action']],
      });
    }
    expect(decisionLogs().map((l) => l.held)).toEqual([true, true]);
  });

  it('decides and logs but writes nothing and keeps the last written weights in a dry run', async () => {
    const lastWritten = {
      weights: [10, 10, 10],
      targetGroupArns: LABELS.map(tgArn),
      atMs: NOW_MS - 60_000,
    };
    world({ state: { version: 1, actions: { 'web-default': { lastWritten } } } });

    const result = (await handler(twoActions({ dryRun: true }))({})) as RunResult;

    expect(result.actions.map((a) => a.outcome)).toEqual(['dry-run', 'dry-run']);
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyRuleCommand);
    expect(savedStates().at(-1)!.actions['web-default'].lastWritten).toEqual(lastWritten);
    expect(decisionLogs()[0]).toMatchObject({ dryRun: true, outcome: 'dry-run' });
  });

  it('skips an action that changed between the read and the write, and writes the other', async () => {
    world();
    modifiesLand();
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce({
        Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: [forwardAction([10, 10, 10])] }],
      })
      .resolves({
        Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: [forwardAction([1, 1, 1])] }],
      });

    const result = (await handler(twoActions())({})) as RunResult;

    expect(result.actions.map((a) => a.outcome)).toEqual(['skipped-concurrent-change', 'written']);
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(emf().find((m) => m.Action === 'web-default' && !m.TargetGroup)).toMatchObject({
      ConcurrentChangesSkipped: 1,
    });
  });

  it('writes nothing to an action whose target group someone removed, and reports it', async () => {
    world({ rule: [forwardAction([5, 5], ['on-demand', 'spot'])] });
    modifiesLand();

    const result = (await handler(twoActions())({})) as RunResult;

    expect(result.actions[1]).toMatchObject({ mode: 'mismatch', outcome: 'unchanged' });
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyRuleCommand);
    expect(decisionLogs()[1].level).toBe('WARN');
    expect(emf().find((m) => m.Action === 'web-api' && !m.TargetGroup)).toMatchObject({
      OutsideChanges: 1,
    });
  });

  it('drains a target group that was deleted while still in the action', async () => {
    world();
    modifiesLand();
    elbv2Mock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: tgArn('spot') })
      .rejects(awsError('TargetGroupNotFoundException'));

    const result = (await handler(twoActions())({})) as RunResult;

    expect(result.actions[0].weights[1]).toBe(0);
    expect(result.actions[0].weights[0]).toBeGreaterThan(0);
  });

  it('retries throttled reads and still writes', async () => {
    world();
    modifiesLand();
    cwMock.on(DescribeAlarmsCommand).rejectsOnce(awsError('Throttling')).resolves({});

    const result = (await handler(twoActions({ alarmNames: ['errors'] }))({})) as RunResult;

    expect(result.written).toHaveLength(2);
    expect(result.warnings).toContain(
      'alarm errors does not exist; the policy sees INSUFFICIENT_DATA',
    );
  });
});

describe('a run that meets an AWS error', () => {
  it('writes nothing when a read fails and fails with a message naming the call', async () => {
    world();
    modifiesLand();
    cwMock
      .on(GetMetricDataCommand)
      .rejects(awsError('AccessDenied', 403, 'not authorized to perform cloudwatch:GetMetricData'));

    await expect(handler(twoActions())({})).rejects.toThrow(
      'GetMetricData failed after 1 attempt(s): AccessDenied: not authorized to perform cloudwatch:GetMetricData',
    );
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyRuleCommand);
    expect(emf().find((m) => 'RunFailures' in m)).toMatchObject({ RunFailures: 1 });
    expect(jsonLines().find((l) => l.message === 'run failed')?.level).toBe('ERROR');
  });

  it('keeps a write that succeeded, fails the run naming the action that did not, and remembers the pending write', async () => {
    world();
    modifiesLand();
    elbv2Mock.on(ModifyListenerCommand).rejects(awsError('ValidationError', 400, 'bad action'));

    await expect(handler(twoActions())({})).rejects.toThrow(
      'writing weights failed for web-default (written: web-api); web-default: ModifyListener failed after 1 attempt(s): ValidationError: bad action',
    );
    const last = savedStates().at(-1)!;
    expect(last.actions['web-api'].lastWritten).toBeDefined();
    expect(last.actions['web-default'].pendingWrite).toBeDefined();
    expect(last.actions['web-default'].lastWritten).toBeUndefined();
  });

  it('fails a run with a bad configuration, naming the property', async () => {
    const bad = twoActions();
    (bad.guardrails as { maxStepUp: number }).maxStepUp = 3;

    await expect(handler(bad)({})).rejects.toThrow(/guardrails\.maxStepUp: .*\(received 3\)/);
  });
});

describe('manual commands', () => {
  it('sets weights by hand and writes them at once', async () => {
    world();
    modifiesLand();

    const result = (await handler(twoActions())({
      command: 'set-weights',
      actionId: 'web-api',
      weights: { 'on-demand': 5, spot: 995 },
      durationMinutes: 30,
    })) as RunResult;

    expect(result.actions[1]).toMatchObject({
      mode: 'override',
      outcome: 'written',
      weights: [5, 995, 0],
    });
    expect(savedStates()[0].actions['web-api'].override).toMatchObject({
      kind: 'set-weights',
      weights: [5, 995, 0],
      untilMs: NOW_MS + 30 * 60_000,
    });
  });

  it('freezes without touching the load balancer', async () => {
    world();

    const result = await handler(twoActions())({ command: 'freeze', durationMinutes: 60 });

    expect(result.command).toBe('freeze');
    expect(elbv2Mock.calls()).toHaveLength(0);
    expect(Object.keys(savedStates()[0].actions)).toEqual(['web-default', 'web-api']);
  });

  it('resumes steering by clearing the override without touching the load balancer', async () => {
    const override = {
      kind: 'freeze' as const,
      setAtMs: NOW_MS - 60_000,
      untilMs: NOW_MS + 60_000,
    };
    world({ state: { version: 1, actions: { 'web-api': { override, policyState: 7 } } } });

    await handler(twoActions())({ command: 'resume', actionId: 'web-api' });

    expect(savedStates()[0].actions['web-api']).toEqual({ policyState: 7, resumedAtMs: NOW_MS });
    expect(elbv2Mock.calls()).toHaveLength(0);
  });

  it('restores its own weights when a deploy resets them right after a resume', async () => {
    const lastWritten = {
      weights: [600, 400, 0],
      targetGroupArns: LABELS.map(tgArn),
      atMs: NOW_MS - 5 * 60_000,
    };
    const override = {
      kind: 'freeze' as const,
      setAtMs: NOW_MS - 60_000,
      untilMs: NOW_MS + 60_000,
    };
    const frozen: ControllerState = {
      version: 1,
      actions: { 'web-default': { lastWritten, override } },
    };
    world({ state: frozen, listener: [forwardAction([600, 400, 0])] });
    await handler(twoActions())({ command: 'resume' });
    const resumed = savedStates()[0];

    elbv2Mock.reset();
    ssmMock.reset();
    // The deploy leaves the template's [10, 10, 10] on the listener.
    world({ state: resumed, listener: [forwardAction([10, 10, 10])] });
    modifiesLand();
    const result = (await handler(twoActions())({})) as RunResult;

    expect(result.actions[0]).toMatchObject({
      mode: 'restore-after-deploy',
      outcome: 'written',
      weights: [600, 400, 0],
    });
  });

  it('steers from weights changed by hand during a freeze once resumed, without holding them', async () => {
    const lastWritten = {
      weights: [600, 400, 0],
      targetGroupArns: LABELS.map(tgArn),
      atMs: NOW_MS - 5 * 60_000,
    };
    const override = {
      kind: 'freeze' as const,
      setAtMs: NOW_MS - 60_000,
      untilMs: NOW_MS + 60_000,
    };
    world({ state: { version: 1, actions: { 'web-default': { lastWritten, override } } } });
    await handler(twoActions())({ command: 'resume' });
    const resumed = savedStates()[0];

    elbv2Mock.reset();
    ssmMock.reset();
    world({ state: resumed, listener: [forwardAction([300, 700, 0])] });
    modifiesLand();
    const result = (await handler(twoActions())({})) as RunResult;

    expect(result.actions[0].mode).toBe('steer');
    expect(emf().some((m) => m.OutsideChanges > 0)).toBe(false);
    const after = savedStates().at(-1)!.actions['web-default'];
    expect(after.outsideChange).toBeUndefined();
    expect(after.resumedAtMs).toBeUndefined();
  });

  it('keeps the resume mark and the last written weights through a dry run', async () => {
    const lastWritten = {
      weights: [600, 400, 0],
      targetGroupArns: LABELS.map(tgArn),
      atMs: NOW_MS - 5 * 60_000,
    };
    const resumed: ControllerState = {
      version: 1,
      actions: { 'web-default': { lastWritten, resumedAtMs: NOW_MS - 60_000 } },
    };
    world({ state: resumed, listener: [forwardAction([300, 700, 0])] });

    await handler(twoActions({ dryRun: true }))({});

    const after = savedStates().at(-1)!.actions['web-default'];
    expect(after.lastWritten).toEqual(lastWritten);
    expect(after.resumedAtMs).toBe(NOW_MS - 60_000);
    expect(elbv2Mock.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('reports the state on status', async () => {
    const state: ControllerState = {
      version: 1,
      actions: { 'web-api': { override: { kind: 'freeze', setAtMs: 1, untilMs: 2 } } },
    };
    world({ state });

    await expect(handler(twoActions())({ command: 'status' })).resolves.toEqual({
      command: 'status',
      nowMs: NOW_MS,
      state,
    });
  });
});
