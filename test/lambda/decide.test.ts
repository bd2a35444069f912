import { decide } from '../../lambda/decide';
import { PolicyInput } from '../../lambda/contract';
import { HealthyHostsParameters, healthyHostsPolicy } from '../../lambda/policies/healthy-hosts';
import { fixedPolicy, group, input, minute, shares } from './decide-fixtures';

const guardrails = (overrides = {}) => ({
  minShare: 0,
  maxStepUp: 1,
  deadband: 0,
  minGroupsWithData: 1,
  ...overrides,
});
const arn = (label: string) => `arn:aws:elasticloadbalancing:tg/${label}`;

describe('decide: applying the policy', () => {
  test('scales the policy weights to integers that sum to 999, in input order', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights: [3, 1] })),
    );
    expect(decision.weights).toEqual([749, 250]);
    expect(decision.write).toBe(true);
    expect(decision.held).toBe(false);
    expect(decision.reason).toBe('applying policy "fixed" weights');
  });

  test('keeps huge policy weights within 0 to 999', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights: [1e12, 1e12] })),
    );
    expect(decision.weights).toEqual([500, 499]);
  });

  test('hands the policy parsed parameters, its previous state and sanitized observations', () => {
    const seen: PolicyInput<HealthyHostsParameters>[] = [];
    const policy = {
      ...healthyHostsPolicy,
      decide: (policyInput: PolicyInput<HealthyHostsParameters>) => {
        seen.push(policyInput);
        return healthyHostsPolicy.decide(policyInput);
      },
    };
    const observed = group('a', 999, 2, [
      minute({ requestCount: Number.NaN, latencyAvgMs: -1 }),
      minute(),
    ]);
    decide(input([observed, group('b', 0)], policy, { state: { runs: 3 } }));

    const policyInput = seen[0];
    expect(policyInput.parameters).toEqual({ minHealthyHosts: 1 });
    expect(policyInput.state).toEqual({ runs: 3 });
    expect(policyInput.targetGroups[0].minutes[0]).toMatchObject({
      noData: true,
      requestCount: null,
      latencyAvgMs: null,
    });
  });

  test('returns the policy state for the next run', () => {
    const decision = decide(
      input([group('a', 999)], fixedPolicy({ weights: [1], state: { ewma: 0.5 } })),
    );
    expect(decision.state).toEqual({ ewma: 0.5 });
  });

  test('fails with a message naming a bad policy parameter and its value', () => {
    const bad = input([group('a', 999)], healthyHostsPolicy, {
      parameters: { minHealthyHosts: -1 },
    });
    expect(() => decide(bad)).toThrow(
      /^policy "healthy-hosts" parameter minHealthyHosts is -1; .*>=1/,
    );
  });

  test('fails with a message naming an unknown policy parameter', () => {
    const bad = input([group('a', 999)], healthyHostsPolicy, { parameters: { minHealthyHost: 2 } });
    expect(() => decide(bad)).toThrow(/^policy "healthy-hosts" has no parameter minHealthyHost;/);
  });

  test('fails with a message naming a bad guardrail', () => {
    const bad = input([group('a', 999)], healthyHostsPolicy, {
      guardrails: guardrails({ deadband: -0.1 }),
    });
    expect(() => decide(bad)).toThrow(/^guardrails\.deadband is -0\.1; /);
  });

  test('rejects an action with a sixth target group', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((label) => group(label, 100));
    expect(() => decide(input(six, healthyHostsPolicy))).toThrow(
      'targetGroups has 6 entries; a forward action has 1 to 5 target groups',
    );
  });
});

describe('decide: health guardrail', () => {
  test('cuts a group with no healthy target to 0 while another group has healthy targets', () => {
    const decision = decide(
      input([group('a', 500, 0), group('b', 499, 3)], fixedPolicy({ weights: [1, 1] })),
    );
    expect(decision.weights).toEqual([0, 999]);
    expect(decision.adjustments).toContain('noHealthyTargets: a 0.50->0');
  });

  test('cuts an unhealthy group to 0 at once, beyond the step limit', () => {
    const decision = decide(
      input([group('a', 500, 0), group('b', 499, 3)], fixedPolicy({ weights: [1, 1] }), {
        guardrails: guardrails({ maxStepUp: 0.1, minShare: 0.05 }),
      }),
    );
    expect(decision.weights).toEqual([0, 999]);
  });

  test('keeps the current weights when no group has a healthy target', () => {
    const decision = decide(
      input([group('a', 700, 0), group('b', 299, 0)], fixedPolicy({ weights: [0, 1] })),
    );
    expect(decision).toMatchObject({ weights: [700, 299], held: true, write: false });
    expect(decision.reason).toMatch(/^no target group has a healthy target/);
  });

  test('spreads evenly when no group has a healthy target and no group has weight', () => {
    const decision = decide(
      input([group('a', 0, 0), group('b', 0, 0)], fixedPolicy({ weights: [0, 1] })),
    );
    expect(decision).toMatchObject({ weights: [500, 499], write: true });
  });

  test('reads a NaN healthy host count as no healthy target', () => {
    const decision = decide(
      input([group('a', 500, Number.NaN), group('b', 499, 1)], fixedPolicy({ weights: [1, 1] })),
    );
    expect(decision.weights).toEqual([0, 999]);
  });
});

describe('decide: minimum share', () => {
  test('gives every live group at least minShare', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights: [1, 0] }), {
        guardrails: guardrails({ minShare: 0.05 }),
      }),
    );
    expect(shares(decision.weights)[1]).toBeGreaterThanOrEqual(0.05);
    expect(decision.adjustments).toContain('minShare: b 0.00->0.05');
  });

  test('lets a group drained on purpose go to 0 at once', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [1, 0], drain: [arn('b')] }),
        {
          guardrails: guardrails({ minShare: 0.05, maxStepUp: 0.1 }),
        },
      ),
    );
    expect(decision.weights).toEqual([999, 0]);
    expect(decision.drained).toEqual([arn('b')]);
  });

  test('keeps the healthy groups live when the policy drains every one of them', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [1, 1], drain: [arn('a'), arn('b')] }),
      ),
    );
    expect(decision.weights).toEqual([500, 499]);
    expect(decision.drained).toEqual([]);
    expect(decision.adjustments[0]).toMatch(/^drain: kept the healthy groups live/);
  });

  test('keeps a group the policy probes at its small share, below minShare, still live', () => {
    const probing = (probe?: string[]) =>
      decide(
        input(
          [group('a', 950), group('b', 49)],
          fixedPolicy({ weights: [998, 2], probe }),
          { guardrails: guardrails({ minShare: 0.05, maxStepUp: 0.1 }) },
        ),
      );

    expect(probing([arn('b')]).weights).toEqual([997, 2]);
    expect(probing().weights[1]).toBeGreaterThanOrEqual(0.05 * 999);
  });

  test('sheds no group when the policy probes every live one: the step limit holds', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [950, 50], probe: [arn('a'), arn('b')] }),
        { guardrails: guardrails({ minShare: 0.05, maxStepUp: 0.1 }) },
      ),
    );

    expect(shares(decision.weights)[0]).toBeCloseTo(0.6, 2);
    expect(decision.adjustments.some((a) => a.startsWith('maxStepUp: exceeded'))).toBe(false);
  });

  test('cuts a probed group at once, past the step limit on the others', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [998, 2], probe: [arn('b')] }),
        { guardrails: guardrails({ minShare: 0.05, maxStepUp: 0.1 }) },
      ),
    );

    expect(decision.weights).toEqual([997, 2]);
    expect(decision.adjustments).toContain(
      'maxStepUp: exceeded, as groups cut to 0 or probed left share with no other place to go',
    );
  });

  test('writes the cut of a probed group though it moves less than the deadband', () => {
    // b holds 0.8% and the policy probes it at 0.2%: a move of 0.006, within a deadband of 0.01.
    const cut = (probe?: string[]) =>
      decide(
        input([group('a', 992), group('b', 8)], fixedPolicy({ weights: [998, 2], probe }), {
          guardrails: guardrails({ minShare: 0.002, deadband: 0.01 }),
        }),
      );

    expect(cut([arn('b')]).write).toBe(true);
    expect(shares(cut([arn('b')]).weights)[1]).toBeCloseTo(0.002, 3);
    // Not probed, the same small move is held.
    expect(cut().write).toBe(false);
  });

  test('lifts a probed group to minShare when the policy gives it 0, and ignores unknown ARNs', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [1, 0], probe: [arn('b'), 'arn:other'] }),
        { guardrails: guardrails({ minShare: 0.05 }) },
      ),
    );

    expect(shares(decision.weights)[1]).toBeGreaterThanOrEqual(0.05);
    expect(decision.adjustments).toContain(
      'probe: ignored arn:other, not a target group of this action',
    );
  });

  test('ignores a drained ARN that is not in the action and says so', () => {
    const decision = decide(
      input([group('a', 999)], fixedPolicy({ weights: [1], drain: ['arn:other'] })),
    );
    expect(decision.adjustments).toEqual([
      'drain: ignored arn:other, not a target group of this action',
    ]);
  });
});

describe('decide: step limit', () => {
  test('raises a group by at most maxStepUp per run', () => {
    const decision = decide(
      input([group('a', 600), group('b', 399)], fixedPolicy({ weights: [0, 1] }), {
        guardrails: guardrails({ maxStepUp: 0.1 }),
      }),
    );
    expect(shares(decision.weights)[1]).toBeCloseTo(0.5, 2);
    expect(decision.adjustments).toContain('maxStepUp: b 1.00->0.50');
  });

  test('takes the policy weights directly when no group has weight now', () => {
    const decision = decide(
      input([group('a', 0), group('b', 0)], fixedPolicy({ weights: [3, 1] }), {
        guardrails: guardrails({ maxStepUp: 0.1 }),
      }),
    );
    expect(decision.weights).toEqual([749, 250]);
  });
});

describe('decide: deadband', () => {
  test('skips the write when no share moves by more than the deadband', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights: [0.51, 0.49] }), {
        guardrails: guardrails({ deadband: 0.02 }),
      }),
    );
    expect(decision).toMatchObject({ weights: [500, 499], write: false, held: false });
    expect(decision.reason).toMatch(/^no share moved by more than the deadband/);
  });

  test('writes a move just beyond the deadband', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights: [0.54, 0.46] }), {
        guardrails: guardrails({ deadband: 0.02 }),
      }),
    );
    expect(decision.write).toBe(true);
    expect(decision.weights).toEqual([539, 460]);
  });

  test('writes a small move that takes a group to 0', () => {
    const decision = decide(
      input([group('a', 995), group('b', 4)], fixedPolicy({ weights: [1, 0], drain: [arn('b')] }), {
        guardrails: guardrails({ deadband: 0.02 }),
      }),
    );
    expect(decision).toMatchObject({ weights: [999, 0], write: true });
  });

  test('writes when the current weights are not valid for AWS, even with no move', () => {
    const decision = decide(
      input([group('a', 1200), group('b', 1200)], fixedPolicy({ weights: [1, 1] }), {
        guardrails: guardrails({ deadband: 0.1 }),
      }),
    );
    expect(decision.write).toBe(true);
    expect(decision.weights).toEqual([500, 499]);
  });
});

describe('decide: holding', () => {
  const silent = [minute({ noData: true, requestCount: null, healthyHostCount: null })];

  test('holds when no group with weight has a visible datapoint', () => {
    const decision = decide(
      input(
        [group('a', 500, 2, silent), group('b', 499, 2, silent)],
        fixedPolicy({ weights: [1, 0] }),
      ),
    );
    expect(decision).toMatchObject({ weights: [500, 499], held: true, write: false });
    expect(decision.reason).toBe(
      'insufficient data: 0 of 2 target groups with weight had a visible datapoint, 1 needed; keeping the current weights',
    );
  });

  test('does not count data from a group without weight', () => {
    const decision = decide(
      input([group('a', 999, 2, silent), group('b', 0)], fixedPolicy({ weights: [1, 1] })),
    );
    expect(decision.held).toBe(true);
  });

  test('asks for no more groups with data than carry weight', () => {
    const decision = decide(
      input([group('a', 999), group('b', 0, 2, silent)], fixedPolicy({ weights: [1, 1] }), {
        guardrails: guardrails({ minGroupsWithData: 2 }),
      }),
    );
    expect(decision.held).toBe(false);
  });

  test('holds when fewer groups than minGroupsWithData have data', () => {
    const decision = decide(
      input([group('a', 500), group('b', 499, 2, silent)], fixedPolicy({ weights: [1, 1] }), {
        guardrails: guardrails({ minGroupsWithData: 2 }),
      }),
    );
    expect(decision.held).toBe(true);
    expect(decision.reason).toMatch(/^insufficient data: 1 of 2 .* 2 needed/);
  });

  test('counts a healthy host datapoint as data on an NLB, which publishes no request count', () => {
    const nlbMinute = [minute({ noData: true, requestCount: null, healthyHostCount: 3 })];
    const decision = decide(
      input(
        [group('a', 500, 2, nlbMinute), group('b', 499, 2, nlbMinute)],
        fixedPolicy({ weights: [3, 1] }),
        {
          loadBalancerType: 'network',
        },
      ),
    );
    expect(decision.held).toBe(false);
  });

  test('still cuts a group with no healthy target while holding for lack of data', () => {
    const decision = decide(
      input(
        [group('a', 500, 0, silent), group('b', 499, 2, silent)],
        fixedPolicy({ weights: [1, 1] }),
      ),
    );
    expect(decision).toMatchObject({ weights: [0, 499], held: true, write: true });
  });

  test('holds when the policy asks to, keeping its state', () => {
    const decision = decide(
      input(
        [group('a', 500), group('b', 499)],
        fixedPolicy({ weights: [1, 0], hold: true, state: 7 }),
      ),
    );
    expect(decision).toMatchObject({ weights: [500, 499], held: true, write: false, state: 7 });
  });
});

describe('decide: policy bugs', () => {
  test.each([
    [
      [Number.NaN, 1],
      'returned weights[0] = NaN; a policy weight must be a finite number of 0 or more',
    ],
    [
      [1, Number.POSITIVE_INFINITY],
      'returned weights[1] = Infinity; a policy weight must be a finite number of 0 or more',
    ],
    [[-1, 1], 'returned weights[0] = -1; a policy weight must be a finite number of 0 or more'],
    [[1], 'returned 1 weights for 2 target groups'],
  ])('holds the current weights when the policy returns %p', (weights, problem) => {
    const decision = decide(
      input([group('a', 500), group('b', 499)], fixedPolicy({ weights }), { state: 'kept' }),
    );
    expect(decision).toMatchObject({
      weights: [500, 499],
      held: true,
      write: false,
      state: 'kept',
    });
    expect(decision.reason).toBe(`policy "fixed" ${problem}; keeping the current weights`);
  });

  test('holds the current weights when the policy throws', () => {
    const policy = fixedPolicy(() => {
      throw new Error('division by zero');
    });
    const decision = decide(input([group('a', 500), group('b', 499)], policy));
    expect(decision).toMatchObject({
      weights: [500, 499],
      held: true,
      write: false,
      policyReason: 'division by zero',
    });
  });

  test('holds when the policy state is not JSON', () => {
    const decision = decide(
      input([group('a', 999)], fixedPolicy({ weights: [1], state: Number.NaN })),
    );
    expect(decision.reason).toBe(
      'policy "fixed" returned a state that is not JSON; keeping the current weights',
    );
  });

  test('keeps the current proportions when the policy gives every live group 0', () => {
    const decision = decide(
      input(
        [group('a', 600, 0), group('b', 300), group('c', 99)],
        fixedPolicy({ weights: [1, 0, 0] }),
      ),
    );
    expect(shares(decision.weights)[1]).toBeCloseTo(300 / 399, 2);
    expect(decision.weights[0]).toBe(0);
  });
});
