import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { interpretActions, readLiveActions } from '../../lambda/read-actions';
import { readTargetHealth } from '../../lambda/read-target-health';
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

describe('readLiveActions', () => {
  it('follows NextMarker through DescribeListeners and DescribeRules pages', async () => {
    const otherListener = LISTENER_ARN.replace('f2f7dc8efc522ab2', 'aaaaaaaaaaaaaaaa');
    elbv2Mock
      .on(DescribeListenersCommand, { Marker: undefined })
      .resolves({
        Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: [forwardAction([1, 2, 3])] }],
        NextMarker: 'page-2',
      })
      .on(DescribeListenersCommand, { Marker: 'page-2' })
      .resolves({
        Listeners: [{ ListenerArn: otherListener, DefaultActions: [forwardAction([4, 5, 6])] }],
      })
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ RuleArn: RULE_ARN, Actions: [forwardAction([7, 8, 9])] }] });

    const live = await readLiveActions(elbv2, [
      steered(),
      steered({ id: 'other', listenerArn: otherListener }),
      steered({ id: 'api', ruleArn: RULE_ARN }),
    ]);

    expect(live.map((l) => l.weights)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(live.map((l) => l.kind)).toEqual(['listener', 'listener', 'rule']);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeListenersCommand, 2);
  });

  it('fails naming the action when AWS does not return its listener', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves({ Listeners: [] });

    await expect(readLiveActions(elbv2, [steered()])).rejects.toThrow(
      `action "web-default": listener ${LISTENER_ARN} was not returned by AWS`,
    );
  });

  it('fails with the AWS error when a listener was deleted', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .rejects(awsError('ListenerNotFoundException', 400, 'One or more listeners not found'));

    await expect(readLiveActions(elbv2, [steered()], instantRetry())).rejects.toThrow(
      'DescribeListeners failed after 1 attempt(s): ListenerNotFoundException: One or more listeners not found',
    );
  });
});

describe('interpretActions', () => {
  it('finds the forward action after an authenticate action and reads its weights in configuration order', () => {
    const forward = forwardAction([30, 10, 20], ['spot', 'canary', 'on-demand']);
    const live = interpretActions(steered(), LISTENER_ARN, [
      {
        Type: 'authenticate-cognito',
        Order: 1,
        AuthenticateCognitoConfig: {
          UserPoolArn: 'arn:x',
          UserPoolClientId: 'c',
          UserPoolDomain: 'd',
        },
      },
      { ...forward, Order: 2 },
    ]);

    expect(live.forwardIndex).toBe(1);
    expect(live.weights).toEqual([20, 30, 10]);
    expect(live.mismatch).toBeUndefined();
  });

  it('reads a single-target-group forward action as weight 1 for that group', () => {
    const live = interpretActions(
      steered({ targetGroups: [steered().targetGroups[0]] }),
      LISTENER_ARN,
      [{ Type: 'forward', TargetGroupArn: tgArn('on-demand') }],
    );

    expect(live.weights).toEqual([1]);
    expect(live.mismatch).toBeUndefined();
  });

  it('reports a configured target group that someone removed from the forward action', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      forwardAction([5, 5], ['on-demand', 'spot']),
    ]);

    expect(live.weights).toEqual([5, 5, 0]);
    expect(live.mismatch).toBe(
      `target group canary (${tgArn('canary')}) is no longer in the forward action`,
    );
  });

  it('reports a target group in the forward action that the configuration does not name', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      forwardAction([1, 1, 1, 1], ['on-demand', 'spot', 'canary', 'extra']),
    ]);

    expect(live.mismatch).toBe(
      `the forward action also routes to ${tgArn('extra')}, which the configuration does not name`,
    );
  });

  it('reports an action list without a forward action', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } },
    ]);

    expect(live.mismatch).toBe(`listener ${LISTENER_ARN} has no forward action`);
  });
});

describe('readTargetHealth', () => {
  it('counts only targets in the healthy state', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { TargetHealth: { State: 'healthy' } },
        { TargetHealth: { State: 'unhealthy' } },
        { TargetHealth: { State: 'draining' } },
        { TargetHealth: { State: 'healthy' } },
        { TargetHealth: { State: 'initial' } },
      ],
    });

    const health = await readTargetHealth(elbv2, [tgArn('spot')]);

    expect(health.get(tgArn('spot'))).toEqual({ healthyHostCount: 2, exists: true });
  });

  it('marks a deleted target group as gone with no healthy hosts instead of failing', async () => {
    elbv2Mock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: tgArn('canary') })
      .rejects(awsError('TargetGroupNotFoundException'))
      .on(DescribeTargetHealthCommand, { TargetGroupArn: tgArn('spot') })
      .resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });

    const health = await readTargetHealth(elbv2, [tgArn('spot'), tgArn('canary')], instantRetry());

    expect(health.get(tgArn('canary'))).toEqual({ healthyHostCount: 0, exists: false });
    expect(health.get(tgArn('spot'))).toEqual({ healthyHostCount: 1, exists: true });
  });

  it('retries a throttled DescribeTargetHealth', async () => {
    elbv2Mock
      .on(DescribeTargetHealthCommand)
      .rejectsOnce(awsError('Throttling'))
      .resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }] });

    const health = await readTargetHealth(elbv2, [tgArn('spot')], instantRetry());

    expect(health.get(tgArn('spot'))?.healthyHostCount).toBe(1);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
  });
});
