import { parse } from 'zod/v4/core';
import { PolicyInput } from '../../../lambda/contract';
import { decide } from '../../../lambda/decide';
import { HealthyHostsParameters, healthyHostsPolicy } from '../../../lambda/policies/healthy-hosts';
import { builtInPolicies, resolvePolicy } from '../../../lambda/policies/index';
import { group, input } from '../decide-fixtures';

const policyInput = (
  hosts: number[],
  minHealthyHosts = 1,
): PolicyInput<HealthyHostsParameters> => ({
  nowMs: 0,
  actionId: 'web-default',
  loadBalancerType: 'application',
  targetGroups: hosts.map((h, i) => group(`g${i}`, 333, h)),
  parameters: { minHealthyHosts },
  state: undefined,
  alarms: {},
});

describe('healthy-hosts policy', () => {
  test('weights each group by its healthy host count', () => {
    const output = healthyHostsPolicy.decide(policyInput([4, 2, 3]));
    expect(output.weights).toEqual([4, 2, 3]);
    expect(output.reason).toBe('weights follow healthy hosts: g0 4, g1 2, g2 3');
  });

  test('drains a group below minHealthyHosts while another group has enough', () => {
    const output = healthyHostsPolicy.decide(policyInput([1, 3], 2));
    expect(output.weights).toEqual([0, 3]);
    expect(output.drain).toEqual(['arn:aws:elasticloadbalancing:tg/g0']);
  });

  test('follows healthy hosts without draining when no group has minHealthyHosts', () => {
    const output = healthyHostsPolicy.decide(policyInput([1, 3], 5));
    expect(output.weights).toEqual([1, 3]);
    expect(output.drain).toBeUndefined();
  });

  test('asks to hold when no group has a healthy host', () => {
    expect(healthyHostsPolicy.decide(policyInput([0, 0])).hold).toBe(true);
  });

  test('defaults minHealthyHosts to 1', () => {
    expect(parse(healthyHostsPolicy.parameters, {})).toEqual({ minHealthyHosts: 1 });
  });

  test('moves weight toward healthy hosts through the guardrails, one step a run', () => {
    const groups = [group('a', 500, 1), group('b', 499, 3)];
    const guardrails = { minShare: 0.02, maxStepUp: 0.1, deadband: 0.01, minGroupsWithData: 1 };
    const decision = decide(input(groups, healthyHostsPolicy, { guardrails }));
    expect(decision.weights).toEqual([400, 599]);
  });
});

describe('resolvePolicy', () => {
  test('finds the built-in healthy-hosts policy by name', () => {
    expect(resolvePolicy('healthy-hosts')).toBe(healthyHostsPolicy);
    expect(builtInPolicies['healthy-hosts']).toBe(healthyHostsPolicy);
  });

  test('rejects an unknown name, listing the known ones', () => {
    expect(() => resolvePolicy('fastest')).toThrow(
      /^policy\.name is "fastest"; it must name a known policy: .*healthy-hosts/,
    );
  });

  test('does not resolve names inherited from Object', () => {
    expect(() => resolvePolicy('toString')).toThrow(/policy\.name is "toString"/);
  });
});
