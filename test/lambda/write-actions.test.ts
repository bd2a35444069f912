import {
  Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { interpretActions } from '../../lambda/read-actions';
import { buildActions, validateActions, writeWeights } from '../../lambda/write-actions';
import {
  awsError,
  forwardAction,
  instantRetry,
  LISTENER_ARN,
  RULE_ARN,
  steered,
  tgArn,
} from './controller-fixtures';

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const elbv2 = new ElasticLoadBalancingV2Client({});
beforeEach(() => elbv2Mock.reset());

const authenticate: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    AuthorizationEndpoint: 'https://idp/a',
    TokenEndpoint: 'https://idp/t',
    UserInfoEndpoint: 'https://idp/u',
    ClientId: 'client',
  },
};

describe('buildActions', () => {
  it('replaces only the forward action weights and keeps other actions, order and stickiness', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      authenticate,
      { ...forwardAction([10, 10, 10]), Order: 2 },
    ]);

    const actions = buildActions(steered(), live, [600, 399, 0]);

    expect(actions[0]).toEqual({
      ...authenticate,
      AuthenticateOidcConfig: {
        ...authenticate.AuthenticateOidcConfig,
        UseExistingClientSecret: true,
      },
    });
    expect(actions[1]).toEqual({
      Type: 'forward',
      Order: 2,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: tgArn('on-demand'), Weight: 600 },
          { TargetGroupArn: tgArn('spot'), Weight: 399 },
          { TargetGroupArn: tgArn('canary'), Weight: 0 },
        ],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      },
    });
  });

  it('drops a TargetGroupArn that sat beside the forward config', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      { ...forwardAction([1, 1, 1]), TargetGroupArn: tgArn('on-demand') },
    ]);

    const [forward] = buildActions(steered(), live, [1, 2, 3]);

    expect(forward.TargetGroupArn).toBeUndefined();
  });

  it('does not change the action list it was given', () => {
    const original = [authenticate, forwardAction([10, 10, 10])];
    const live = interpretActions(steered(), LISTENER_ARN, original);

    buildActions(steered(), live, [1, 2, 3]);

    expect(original[1].ForwardConfig?.TargetGroups?.map((g) => g.Weight)).toEqual([10, 10, 10]);
    expect(original[0].AuthenticateOidcConfig?.UseExistingClientSecret).toBeUndefined();
  });
});

describe('validateActions', () => {
  const forward = (weights: number[]) =>
    forwardAction(
      weights,
      weights.map((_, i) => `g${i}`),
    );

  it('rejects a weight above 999 naming the entry and the rule', () => {
    expect(() => validateActions([forward([1, 1200, 3])])).toThrow(
      'actions[0].ForwardConfig.TargetGroups[1].Weight is 1200; a weight must be an integer from 0 to 999',
    );
  });

  it('rejects a fractional weight', () => {
    expect(() => validateActions([forward([1.5, 2])])).toThrow(
      'TargetGroups[0].Weight is 1.5; a weight must be an integer',
    );
  });

  it('rejects all-zero weights', () => {
    expect(() => validateActions([forward([0, 0, 0])])).toThrow(
      'weights are all 0; at least one target group must have a weight above 0',
    );
  });

  it('rejects a sixth target group', () => {
    expect(() => validateActions([forward([1, 1, 1, 1, 1, 1])])).toThrow(
      'has 6 entries; a forward action has at most 5 target groups',
    );
  });

  it('rejects a TargetGroupArn beside several weighted groups', () => {
    expect(() => validateActions([{ ...forward([1, 1]), TargetGroupArn: 'arn:x' }])).toThrow(
      'actions[0].TargetGroupArn is arn:x; it must be unset beside a ForwardConfig with several target groups',
    );
  });
});

describe('writeWeights', () => {
  const readListener = (actions: Action[]) => ({
    Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: actions }],
  });

  it('sends the entire default action list with ModifyListener and verifies it by reading back', async () => {
    const before = [authenticate, forwardAction([10, 10, 10])];
    const live = interpretActions(steered(), LISTENER_ARN, before);
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce(readListener(before))
      .resolves(readListener([authenticate, forwardAction([500, 499, 0])]));
    elbv2Mock.on(ModifyListenerCommand).resolves({});

    const outcome = await writeWeights(elbv2, steered(), live, [500, 499, 0], instantRetry());

    expect(outcome).toEqual({ status: 'written', weights: [500, 499, 0] });
    const sent = elbv2Mock.commandCalls(ModifyListenerCommand)[0].args[0].input;
    expect(sent.ListenerArn).toBe(LISTENER_ARN);
    expect(sent.DefaultActions).toHaveLength(2);
    expect(sent.DefaultActions![1].ForwardConfig?.TargetGroups?.map((g) => g.Weight)).toEqual([
      500, 499, 0,
    ]);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeListenersCommand, 2);
  });

  it('writes a rule with ModifyRule and its entire action list', async () => {
    const config = steered({ id: 'api', ruleArn: RULE_ARN });
    const before = [forwardAction([10, 10, 10])];
    const live = interpretActions(config, RULE_ARN, before);
    elbv2Mock
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [{ RuleArn: RULE_ARN, Actions: before }] })
      .resolves({ Rules: [{ RuleArn: RULE_ARN, Actions: [forwardAction([1, 2, 3])] }] });
    elbv2Mock.on(ModifyRuleCommand).resolves({});

    await writeWeights(elbv2, config, live, [1, 2, 3], instantRetry());

    expect(elbv2Mock).toHaveReceivedCommandWith(ModifyRuleCommand, { RuleArn: RULE_ARN });
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('skips the write when the action changed since the run read it', async () => {
    const live = interpretActions(steered(), LISTENER_ARN, [forwardAction([10, 10, 10])]);
    elbv2Mock.on(DescribeListenersCommand).resolves(readListener([forwardAction([700, 300, 0])]));

    const outcome = await writeWeights(elbv2, steered(), live, [1, 2, 3], instantRetry());

    expect(outcome).toEqual({ status: 'skipped-concurrent-change', weights: [700, 300, 0] });
    expect(elbv2Mock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('fails when the weights read back are not the ones written', async () => {
    const before = [forwardAction([10, 10, 10])];
    const live = interpretActions(steered(), LISTENER_ARN, before);
    elbv2Mock.on(DescribeListenersCommand).resolves(readListener(before));
    elbv2Mock.on(ModifyListenerCommand).resolves({});

    await expect(writeWeights(elbv2, steered(), live, [1, 2, 3], instantRetry())).rejects.toThrow(
      `action "web-default": read back weights [10, 10, 10] after writing [1, 2, 3] to listener ${LISTENER_ARN}`,
    );
  });

  it('retries a throttled ModifyListener and then succeeds', async () => {
    const before = [forwardAction([10, 10, 10])];
    const live = interpretActions(steered(), LISTENER_ARN, before);
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce(readListener(before))
      .resolves(readListener([forwardAction([1, 2, 3])]));
    elbv2Mock.on(ModifyListenerCommand).rejectsOnce(awsError('Throttling')).resolves({});

    await expect(
      writeWeights(elbv2, steered(), live, [1, 2, 3], instantRetry()),
    ).resolves.toMatchObject({ status: 'written' });
    expect(elbv2Mock).toHaveReceivedCommandTimes(ModifyListenerCommand, 2);
  });

  it('refuses to send weights AWS would reject, before any call', async () => {
    const live = interpretActions(steered(), LISTENER_ARN, [forwardAction([10, 10, 10])]);

    await expect(writeWeights(elbv2, steered(), live, [0, 0, 0], instantRetry())).rejects.toThrow(
      'weights are all 0',
    );
    expect(elbv2Mock.calls()).toHaveLength(0);
  });
});
