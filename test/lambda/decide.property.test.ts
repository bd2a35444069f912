import fc from 'fast-check';
import { MinuteObservation, PolicyOutput, TargetGroupObservation } from '../../lambda/contract';
import { decide } from '../../lambda/decide';
import { healthyHostsPolicy } from '../../lambda/policies/healthy-hosts';
import { fixedPolicy, input, shares } from './decide-fixtures';

const oddNumber = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0),
);
const metric = fc.oneof(fc.constant(null), oddNumber, fc.nat(5000));

const minuteArb: fc.Arbitrary<MinuteObservation> = fc.record({
  startMs: fc.nat(),
  noData: fc.boolean(),
  requestCount: metric,
  http5xxCount: metric,
  latencyAvgMs: metric,
  latencyP99Ms: metric,
  healthyHostCount: metric,
  custom: fc.dictionary(fc.constantFrom('queueDepth', 'cpu'), metric),
});

const groupArb = (index: number): fc.Arbitrary<TargetGroupObservation> =>
  fc.record({
    targetGroupArn: fc.constant(`arn:aws:elasticloadbalancing:tg/g${index}`),
    label: fc.constant(`g${index}`),
    currentWeight: fc.oneof(fc.integer({ min: 0, max: 999 }), oddNumber),
    healthyHostCount: fc.oneof(fc.nat(6), oddNumber),
    minutes: fc.array(minuteArb, { maxLength: 4 }),
  });

/** Groups as AWS reports them, so the guardrails' arithmetic runs rather than the fallbacks. */
const plausibleGroupsArb = fc.integer({ min: 1, max: 5 }).chain((count) =>
  fc.tuple(
    ...Array.from({ length: count }, (_, i) =>
      fc.record({
        targetGroupArn: fc.constant(`arn:aws:elasticloadbalancing:tg/g${i}`),
        label: fc.constant(`g${i}`),
        currentWeight: fc.integer({ min: 0, max: 999 }),
        healthyHostCount: fc.oneof(
          { weight: 1, arbitrary: fc.constant(0) },
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
        ),
        minutes: fc.array(
          minuteArb.map((m) => ({ ...m, noData: false, requestCount: 100 })),
          { minLength: 1, maxLength: 3 },
        ),
      }),
    ),
  ),
);

const groupsArb = fc
  .integer({ min: 1, max: 5 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => groupArb(i))));

const outputArb: fc.Arbitrary<PolicyOutput | 'throw'> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('throw' as const) },
  {
    weight: 9,
    arbitrary: fc.record({
      weights: fc.array(fc.oneof(fc.nat(1000), oddNumber), { minLength: 0, maxLength: 6 }),
      reason: fc.constant('random'),
      state: fc.oneof(fc.constant(null), fc.jsonValue()) as fc.Arbitrary<PolicyOutput['state']>,
      drain: fc.subarray(
        ['g0', 'g1', 'g2', 'g3', 'g4', 'gX'].map((g) => `arn:aws:elasticloadbalancing:tg/${g}`),
      ),
      probe: fc.subarray(
        ['g0', 'g1', 'g2', 'g3', 'g4', 'gX'].map((g) => `arn:aws:elasticloadbalancing:tg/${g}`),
      ),
      hold: fc.boolean(),
    }),
  },
);

const guardrailsArb = fc.record({
  minShare: fc.double({ min: 0, max: 0.2, noNaN: true }),
  maxStepUp: fc.double({ min: 0.01, max: 1, noNaN: true }),
  deadband: fc.double({ min: 0, max: 0.2, noNaN: true }),
  minGroupsWithData: fc.integer({ min: 0, max: 5 }),
});

// A host count is whole: a fraction below 1 reads as no healthy host.
const healthy = (g: TargetGroupObservation) =>
  Number.isFinite(g.healthyHostCount) && g.healthyHostCount >= 1;

describe('decide over random observations and policy outputs', () => {
  test('always yields 1 to 5 integer weights from 0 to 999, never all zero, none to unhealthy groups while another is healthy', () => {
    fc.assert(
      fc.property(
        groupsArb,
        outputArb,
        guardrailsArb,
        fc.constantFrom('application' as const, 'network' as const),
        (groups, output, guardrails, loadBalancerType) => {
          const policy = fixedPolicy(() => {
            if (output === 'throw') throw new Error('policy bug');
            return output;
          });
          const decision = decide(input(groups, policy, { guardrails, loadBalancerType }));

          expect(decision.weights).toHaveLength(groups.length);
          for (const w of decision.weights) {
            expect(Number.isInteger(w) && w >= 0 && w <= 999).toBe(true);
          }
          expect(decision.weights.some((w) => w > 0)).toBe(true);
          if (groups.some(healthy)) {
            groups.forEach((g, i) => {
              if (!healthy(g)) expect(decision.weights[i]).toBe(0);
            });
          }
          // === rather than toEqual, which tells -0 from 0 where AWS cannot.
          if (!decision.write)
            expect(decision.weights.every((w, i) => w === groups[i].currentWeight)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('keeps every group it routes to at minShare and within the step when it applies a policy', () => {
    fc.assert(
      fc.property(
        plausibleGroupsArb,
        fc.array(fc.nat(1000), { minLength: 5, maxLength: 5 }),
        fc.array(fc.nat(4)),
        fc.array(fc.nat(4)),
        guardrailsArb,
        (groups, weights, drained, probed, guardrails) => {
          const arnOf = (i: number) => `arn:aws:elasticloadbalancing:tg/g${i}`;
          const drain = drained.map(arnOf);
          const probe = probed.map(arnOf);
          const policy = fixedPolicy({ weights: weights.slice(0, groups.length), drain, probe });
          const decision = decide(input(groups, policy, { guardrails }));
          if (decision.held || !decision.write) return;

          // A probed group may sit below minShare, never at 0 while it was given a share.
          const after = shares(decision.weights);
          after.forEach((s, i) => {
            if (s > 0 && !probed.includes(i))
              expect(s).toBeGreaterThanOrEqual(guardrails.minShare - 1e-9);
          });

          const current = groups.map((g) =>
            Number.isFinite(g.currentWeight) && g.currentWeight > 0
              ? Math.min(999, Math.round(g.currentWeight))
              : 0,
          );
          const stepRelaxed = decision.adjustments.some((a) => a.startsWith('maxStepUp: exceeded'));
          if (current.some((w) => w > 0) && !stepRelaxed) {
            const before = shares(current);
            after.forEach((s, i) => {
              const allowed = Math.max(before[i] + guardrails.maxStepUp, guardrails.minShare);
              expect(s).toBeLessThanOrEqual(allowed + 2 / 999);
            });
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('the healthy-hosts policy never routes to a group without healthy hosts while another has some', () => {
    fc.assert(
      fc.property(groupsArb, guardrailsArb, (groups, guardrails) => {
        const decision = decide(input(groups, healthyHostsPolicy, { guardrails }));
        expect(decision.weights.some((w) => w > 0)).toBe(true);
        if (groups.some(healthy)) {
          groups.forEach((g, i) => {
            if (!healthy(g)) expect(decision.weights[i]).toBe(0);
          });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
