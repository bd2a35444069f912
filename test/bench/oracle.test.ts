import { erlangC, responseTimeQuantile, splitQuantile } from '../../bench/sim/erlang';
import { ORACLE_FLOOR, solveOracle } from '../../bench/sim/oracle';

const FLEET = [
  { servers: 8, ratePerServer: 20, errorRate: 0 },
  { servers: 6, ratePerServer: 30, errorRate: 0 },
  { servers: 5, ratePerServer: 16, errorRate: 0 },
];

describe('the Erlang formulas and the oracle split', () => {
  it('gives Erlang C of an M/M/1 queue as its utilisation', () => {
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12);
  });

  it('gives the p99 of an M/M/1 queue as ln(100) / (mu - lambda)', () => {
    expect(responseTimeQuantile(1, 10, 6, 0.99)).toBeCloseTo(Math.log(100) / 4, 5);
  });

  it('finds a split with a lower p99 than the capacity-proportional one', () => {
    const capacitySplit = [160 / 420, 180 / 420, 80 / 420];

    const oracle = solveOracle({ groups: FLEET, lambda: 252 });

    expect(splitQuantile(FLEET, oracle, 252)).toBeLessThan(
      splitQuantile(FLEET, capacitySplit, 252) * 0.95,
    );
    expect(oracle.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('keeps a group that fails fast at the floor rather than letting its fast errors look good', () => {
    const failing = FLEET.map((g, i) => (i === 2 ? { ...g, errorRate: 0.5 } : g));

    const oracle = solveOracle({ groups: failing, lambda: 252 });

    expect(oracle[2]).toBeCloseTo(ORACLE_FLOOR, 9);
  });

  it('moves traffic away from a group whose service rate drops', () => {
    const degraded = FLEET.map((g, i) => (i === 1 ? { ...g, ratePerServer: 10 } : g));

    const before = solveOracle({ groups: FLEET, lambda: 252 });
    const after = solveOracle({ groups: degraded, lambda: 252 });

    expect(after[1]).toBeLessThan(before[1] - 0.2);
    expect(Number.isFinite(splitQuantile(degraded, after, 252))).toBe(true);
  });
});
