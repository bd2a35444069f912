import { canaryParameters } from '../../bench/catalog';
import { scoreRow } from '../../bench/scores';
import { oracle, policyController, staticCapacity } from '../../bench/sim/controllers';
import { bucketOf, bucketValueMs, newHistogram, percentileMs } from '../../bench/sim/histogram';
import { OracleCache } from '../../bench/sim/oracle';
import { scenarioById } from '../../bench/sim/scenarios';
import { convergence, simulate } from '../../bench/sim/simulate';
import { adaptivePolicy } from '../../lambda/policies/adaptive';
import { canaryPolicy } from '../../lambda/policies/canary';

describe('the simulator', () => {
  it('runs the same seed to the same result and another seed to a different one', () => {
    const s1 = scenarioById('S1');

    const first = simulate(s1, staticCapacity(), { seed: 7, minutes: 10 });
    const again = simulate(s1, staticCapacity(), { seed: 7, minutes: 10 });
    const other = simulate(s1, staticCapacity(), { seed: 8, minutes: 10 });

    expect(again.requests).toBe(first.requests);
    expect(again.p99Ms).toBe(first.p99Ms);
    expect(other.requests).not.toBe(first.requests);
  });

  it('keeps histogram buckets within 0.5% of their values', () => {
    const histogram = newHistogram();
    for (let v = 1; v <= 1000; v++) histogram[bucketOf(v)]++;

    expect(percentileMs(histogram, 0.99)! / 990).toBeCloseTo(1, 2);
    expect(bucketValueMs(bucketOf(123.4)) / 123.4).toBeCloseTo(1, 2);
  });

  it('counts convergence from the change until the split stays within 5% of the oracle', () => {
    const oracleSplit = Array.from({ length: 10 }, () => [0.5, 0.5]);
    const shares = [
      [0.8, 0.2],
      [0.7, 0.3],
      [0.52, 0.48],
      [0.6, 0.4],
      [0.5, 0.5],
      [0.51, 0.49],
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
    ];

    expect(convergence(shares, oracleSplit, 0, 10)).toBe(4);
    expect(
      convergence(
        shares.map(() => [1, 0]),
        oracleSplit,
        0,
        10,
      ),
    ).toBeNull();
  });

  it('takes traffic off a degraded group within six minutes under the adaptive policy, end to end', () => {
    const s4 = scenarioById('S4');
    const cache = new OracleCache();

    const adaptive = simulate(s4, policyController(adaptivePolicy), {
      seed: 3,
      minutes: 120,
      oracleCache: cache,
    });
    const best = simulate(s4, oracle(), { seed: 3, minutes: 120, oracleCache: cache });

    expect(adaptive.shares[59][1]).toBeGreaterThan(0.4);
    expect(adaptive.convergenceMinute).not.toBeNull();
    expect(adaptive.convergenceMinute!).toBeLessThanOrEqual(6);
    expect(adaptive.settledP99Ms / best.settledP99Ms).toBeLessThan(1.15);
  });

  it('rolls a bad canary back within four minutes of its first visible minute, end to end', () => {
    const s8 = scenarioById('S8');

    const result = simulate(s8, policyController(canaryPolicy, canaryParameters(s8)), {
      seed: 5,
      minutes: 45,
    });

    expect(result.extra.phase).toBe('rolled-back');
    expect(result.rollbackMinutes!).toBeLessThanOrEqual(4);
  });

  it('scores a run against the oracle run of the same seed', () => {
    const s1 = scenarioById('S1');
    const cache = new OracleCache();
    const capacity = simulate(s1, staticCapacity(), { seed: 2, minutes: 20, oracleCache: cache });
    const best = simulate(s1, oracle(), { seed: 2, minutes: 20, oracleCache: cache });

    const row = scoreRow([capacity], new Map([[2, best]]), new Map([[2, best]]));

    expect(row.p99_ratio).toBeCloseTo(capacity.p99Ms / best.p99Ms, 3);
    expect(row.writes_per_hour).toBe(0);
  });
});
