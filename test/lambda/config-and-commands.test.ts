import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { loadConfig, parseConfig } from '../../lambda/config-source';
import { applyCommand, parseInvokeEvent, weightsFromEvent } from '../../lambda/invoke';
import { emptyState, loadState, saveState } from '../../lambda/state';
import { awsError, config, configInput, instantRetry, tgArn } from './controller-fixtures';

const ssmMock = mockClient(SSMClient);
const ssm = new SSMClient({});
beforeEach(() => ssmMock.reset());

describe('configuration', () => {
  it('reads the configuration from CONTROLLER_CONFIG', async () => {
    const cfg = await loadConfig({ CONTROLLER_CONFIG: JSON.stringify(configInput()) }, () => ssm);

    expect(cfg.actions[0].id).toBe('web-default');
    expect(cfg.metrics.delayMinutes).toBe(2);
  });

  it('reads the configuration from the SSM parameter named by CONTROLLER_CONFIG_PARAMETER', async () => {
    ssmMock
      .on(GetParameterCommand, { Name: '/wb/config' })
      .resolves({ Parameter: { Value: JSON.stringify(configInput({ dryRun: true })) } });

    const cfg = await loadConfig(
      { CONTROLLER_CONFIG_PARAMETER: '/wb/config' },
      () => ssm,
      instantRetry(),
    );

    expect(cfg.dryRun).toBe(true);
  });

  it('fails naming the path, the rule and the received value of a bad property', () => {
    const bad = configInput();
    (bad.actions[0].targetGroups[1] as { targetGroupArn: string }).targetGroupArn = 'tg-spot';

    expect(() =>
      parseConfig(JSON.stringify(bad), 'environment variable CONTROLLER_CONFIG'),
    ).toThrow(
      'configuration in environment variable CONTROLLER_CONFIG is invalid: actions[0].targetGroups[1].targetGroupArn: a target group ARN starts with "arn:" (received "tg-spot")',
    );
  });

  it('fails when the configuration is not JSON', () => {
    expect(() => parseConfig('{version: 1', 'SSM parameter /wb/config')).toThrow(
      /^configuration in SSM parameter \/wb\/config is not JSON: /,
    );
  });

  it('fails saying how to configure when neither variable is set', async () => {
    await expect(loadConfig({}, () => ssm)).rejects.toThrow(
      'no configuration: set CONTROLLER_CONFIG to the configuration JSON or CONTROLLER_CONFIG_PARAMETER to the SSM parameter that holds it',
    );
  });
});

describe('state', () => {
  it('starts empty when the parameter does not exist yet', async () => {
    ssmMock.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));

    await expect(loadState(ssm, '/wb/state', instantRetry())).resolves.toEqual(emptyState());
  });

  it('round-trips through PutParameter and GetParameter', async () => {
    const state = {
      version: 1 as const,
      actions: {
        web: {
          lastWritten: { weights: [1, 2], targetGroupArns: ['a', 'b'], atMs: 5 },
          policyState: { step: 3 },
        },
      },
    };
    ssmMock.on(PutParameterCommand).resolves({});
    await saveState(ssm, '/wb/state', state, instantRetry());
    const sent = ssmMock.commandCalls(PutParameterCommand)[0].args[0].input;
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: sent.Value } });

    await expect(loadState(ssm, '/wb/state', instantRetry())).resolves.toEqual(state);
    expect(sent).toMatchObject({ Name: '/wb/state', Overwrite: true, Type: 'String' });
  });

  it('fails clearly on a state that is not the controller state, rather than forgetting overrides', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: '{"version":2}' } });

    await expect(loadState(ssm, '/wb/state', instantRetry())).rejects.toThrow(
      /^state parameter \/wb\/state is not a controller state .*delete it to start afresh$/,
    );
  });
});

describe('invoke events', () => {
  it('treats a scheduled EventBridge event as a run', () => {
    expect(parseInvokeEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toEqual({
      command: 'run',
    });
  });

  it('rejects an unknown command naming the property', () => {
    expect(() => parseInvokeEvent({ command: 'explode' })).toThrow(
      /^invoke event is invalid: command: .*\(received "explode"\)$/,
    );
  });

  it('rejects a weight above 999 in set-weights', () => {
    expect(() =>
      parseInvokeEvent({
        command: 'set-weights',
        actionId: 'web-default',
        weights: { spot: 1200 },
        durationMinutes: 5,
      }),
    ).toThrow(/weights\.spot: .*\(received 1200\)/);
  });

  it('maps set-weights by label or ARN to configuration order and gives unnamed groups 0', () => {
    expect(weightsFromEvent(config(), 'web-default', { spot: 3, [tgArn('on-demand')]: 7 })).toEqual(
      [7, 3, 0],
    );
  });

  it('rejects set-weights naming a group the action does not have', () => {
    expect(() => weightsFromEvent(config(), 'web-default', { blue: 3 })).toThrow(
      'weights.blue names no target group of action "web-default"; use a label (on-demand, spot, canary) or a target group ARN',
    );
  });

  it('rejects set-weights that are all zero', () => {
    expect(() => weightsFromEvent(config(), 'web-default', { spot: 0 })).toThrow(
      'weights are all 0 for action "web-default"',
    );
  });

  it('rejects a command for an action that is not configured', () => {
    expect(() =>
      applyCommand(
        config(),
        emptyState(),
        { command: 'freeze', actionId: 'nope', durationMinutes: 5 },
        0,
      ),
    ).toThrow('actionId is "nope"; it must name a configured action: web-default');
  });

  it('freezes every action when no actionId is given, until the duration ends', () => {
    const next = applyCommand(
      config(),
      emptyState(),
      { command: 'freeze', durationMinutes: 15 },
      1000,
    );

    expect(next.actions['web-default'].override).toEqual({
      kind: 'freeze',
      setAtMs: 1000,
      untilMs: 1000 + 15 * 60_000,
    });
  });

  it('resumes by forgetting the override and the outside change, keeping the last written weights and the policy state', () => {
    const state = {
      version: 1 as const,
      actions: {
        'web-default': {
          override: { kind: 'freeze' as const, setAtMs: 0, untilMs: 10 },
          outsideChange: { weights: [1, 1, 1], seenAtMs: 0, untilMs: 10 },
          lastWritten: { weights: [1, 2, 3], targetGroupArns: [], atMs: 0 },
          policyState: { phase: 'b' },
        },
      },
    };

    expect(applyCommand(config(), state, { command: 'resume' }, 5).actions['web-default']).toEqual({
      lastWritten: { weights: [1, 2, 3], targetGroupArns: [], atMs: 0 },
      policyState: { phase: 'b' },
      resumedAtMs: 5,
    });
  });
});
