import { parse } from 'zod/v4/core';
import * as zm from 'zod/mini';
import { policyFromModule } from '../../lambda/custom-policy';
import { decide } from '../../lambda/decide';
import * as example from '../../examples/custom-policy/policy';
import { group, input, minute } from '../lambda/decide-fixtures';

const arn = (label: string) => `arn:aws:elasticloadbalancing:tg/${label}`;
const traffic = (requests: number, errors: number) => [
  minute({ requestCount: requests, http5xxCount: errors }),
];
const guardrails = { minShare: 0.02, maxStepUp: 1, deadband: 0, minGroupsWithData: 1 };

describe('the example error-aware policy', () => {
  const { policy } = example;
  const params = parse(policy.parameters, {});

  test('weights healthy hosts discounted by the 5xx rate', () => {
    const output = policy.decide({
      ...input(
        [group('a', 500, 4, traffic(1000, 0)), group('b', 499, 4, traffic(1000, 40))],
        policy,
      ),
      parameters: params,
    });
    expect(output.weights).toEqual([4, 4 * 0.96]);
    expect(output.drain).toEqual([]);
  });

  test('ignores the error rate of a group with too few requests', () => {
    const output = policy.decide({
      ...input([group('a', 500, 2, traffic(10, 9))], policy),
      parameters: params,
    });
    expect(output.weights).toEqual([2]);
    expect(output.state).toEqual({});
  });

  test('drains a group only after drainAfterRuns bad runs in a row', () => {
    const groups = [group('a', 500, 4, traffic(1000, 0)), group('b', 499, 4, traffic(1000, 200))];
    const first = policy.decide({ ...input(groups, policy), parameters: params });
    expect(first.drain).toEqual([]);
    expect(first.state).toEqual({ [arn('b')]: 1 });

    const second = policy.decide({
      ...input(groups, policy),
      parameters: params,
      state: first.state,
    });
    expect(second.drain).toEqual([arn('b')]);
    expect(second.weights[1]).toBe(0);
  });

  test('rejects an unknown parameter by name', () => {
    expect(() => parse(policy.parameters, { maxErrorRatio: 0.1 })).toThrow(/maxErrorRatio/);
  });

  test('runs under the guardrails once loaded the way the bundle loads it', () => {
    const loaded = policyFromModule(example);
    const groups = [group('a', 500, 4, traffic(1000, 0)), group('b', 499, 4, traffic(1000, 200))];
    const decision = decide(
      input(groups, loaded, {
        guardrails: { ...guardrails, maxStepUp: 0.1 },
        state: { [arn('b')]: 1 },
      }),
    );

    expect(decision.drained).toEqual([arn('b')]);
    expect(decision.weights).toEqual([999, 0]);
    expect(decision.state).toEqual({ [arn('b')]: 2 });
  });
});

describe('policyFromModule', () => {
  test('takes a module exporting `policy`, renaming it "custom"', () => {
    expect(policyFromModule(example).name).toBe('custom');
  });

  test('wraps a module exporting only a `decide` function, passing parameters through', () => {
    const decideOnly = { decide: () => ({ weights: [1], reason: 'x', state: null }) };
    const loaded = policyFromModule(decideOnly);
    expect(parse(loaded.parameters, { anything: 1 })).toEqual({ anything: 1 });
    expect(loaded.decide).toBe(decideOnly.decide);
  });

  test('takes a policy whose parameters are a zod/mini schema and checks them in decide()', () => {
    const floor = { floor: zm._default(zm.int().check(zm.gte(1), zm.lte(999)), 7) };
    const miniPolicy = {
      parameters: zm.strictObject(floor),
      decide: ({ parameters }: { parameters: { floor: number } }) => ({
        weights: [parameters.floor, parameters.floor],
        reason: `floor ${parameters.floor}`,
        state: null,
      }),
    };
    const loaded = policyFromModule({ policy: miniPolicy });
    const groups = [group('a', 500, 4, traffic(1000, 0)), group('b', 499, 4, traffic(1000, 0))];

    expect(decide(input(groups, loaded)).policyReason).toBe('floor 7');
    expect(() => decide(input(groups, loaded, { parameters: { floor: 1000 } }))).toThrow(
      'policy "custom" parameter floor is 1000; Too big: expected number to be <=999',
    );
  });

  test('takes a default export', () => {
    expect(policyFromModule({ default: { policy: example.policy } }).decide).toBe(
      example.policy.decide,
    );
  });

  test('rejects a module that exports no policy', () => {
    expect(() => policyFromModule({ weights: [] })).toThrow(
      'the custom policy module exports neither `policy` (a PolicyDefinition) nor a `decide` function',
    );
  });
});
