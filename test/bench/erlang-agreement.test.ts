import {
  createEngine,
  LAMBDA,
  NEXT_ARRIVAL,
  REQUESTS,
  serveUntil,
  TOTAL_WEIGHT,
} from '../../bench/sim/engine';
import { responseTimeQuantile } from '../../bench/sim/erlang';
import { percentileMs } from '../../bench/sim/histogram';

/** Runs one M/M/c group in the simulator's engine until at least `requests` have arrived. */
function simulatedP99Ms(
  servers: number,
  mu: number,
  utilisation: number,
  requests: number,
): { p99Ms: number; served: number } {
  const lambda = utilisation * servers * mu;
  const engine = createEngine([servers], [11, 22, 33, 44], false);
  engine.servers[0] = servers;
  engine.ratePerServer[0] = mu;
  engine.cumulativeWeight[0] = 1;
  engine.scalars[TOTAL_WEIGHT] = 1;
  engine.scalars[LAMBDA] = lambda;
  engine.scalars[NEXT_ARRIVAL] = 0;
  serveUntil(engine, requests / lambda);
  return { p99Ms: percentileMs(engine.groupHist, 0.99)!, served: engine.scalars[REQUESTS] };
}

describe('the simulator against the Erlang C formulas', () => {
  it.each([
    { servers: 4, mu: 10, utilisation: 0.7 },
    { servers: 8, mu: 20, utilisation: 0.85 },
  ])(
    'serves an M/M/$servers queue at utilisation $utilisation with a p99 within 1.5% of the formula',
    ({ servers, mu, utilisation }) => {
      const formulaMs = responseTimeQuantile(servers, mu, utilisation * servers * mu, 0.99) * 1000;

      const { p99Ms, served } = simulatedP99Ms(servers, mu, utilisation, 5_200_000);

      expect(served).toBeGreaterThanOrEqual(5_000_000);
      expect(Math.abs(p99Ms / formulaMs - 1)).toBeLessThan(0.015);
    },
  );

  it('reports a p99 that differs from the formula when the service rate is wrong', () => {
    const formulaMs = responseTimeQuantile(4, 10, 28, 0.99) * 1000;

    const { p99Ms } = simulatedP99Ms(4, 9, 28 / 36, 500_000);

    expect(Math.abs(p99Ms / formulaMs - 1)).toBeGreaterThan(0.05);
  });
});
