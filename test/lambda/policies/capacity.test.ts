import { capacityParameters, capacityPolicy } from '../../../lambda/policies/capacity';
import { group, input, minutes } from './observations';

describe('capacity policy', () => {
  it('weights each group by its healthy hosts times its configured capacity per host', () => {
    const parameters = capacityParameters.parse({ hostCapacities: { A: 40, B: 60 } });

    const output = capacityPolicy.decide(
      input(parameters, [group('A', 1, 4, []), group('B', 1, 3, [])]),
    );

    expect(output.weights).toEqual([160, 180]);
  });

  it('learns the capacity of a group without one from its load and latency', () => {
    const parameters = capacityParameters.parse({});
    const groups = [
      group('A', 1, 2, minutes(1, { requests: 1200, latencyMs: 50, hosts: 2 })),
      group('B', 1, 2, minutes(1, { requests: 1200, latencyMs: 100, hosts: 2 })),
    ];

    const output = capacityPolicy.decide(input(parameters, groups));

    // A: 10 req/s per host + 1000/50; B: 10 + 1000/100.
    expect(output.weights).toEqual([60, 40]);
  });

  it('learns from successful requests only, so fast failures do not make a group look fast', () => {
    const parameters = capacityParameters.parse({});
    const groups = [
      group('A', 1, 2, minutes(1, { requests: 1200, latencyMs: 50, hosts: 2 })),
      // Half of B's requests fail in 5 ms; its successes take 50 ms like A's.
      group('B', 1, 2, minutes(1, { requests: 1200, errors: 600, latencyMs: 27.5, hosts: 2 })),
    ];

    const [a, b] = capacityPolicy.decide(input(parameters, groups)).weights;

    // A: 10 req/s per host + 1000/50; B: 5 successes/s per host + 1000/50.
    expect(a).toBeCloseTo(60, 9);
    expect(b).toBeCloseTo(50, 9);
  });

  it('counts every healthy host the same on a network load balancer, which publishes no latency', () => {
    const parameters = capacityParameters.parse({});
    const groups = [
      group('A', 1, 5, minutes(2, { requests: 0 })),
      group('B', 1, 2, minutes(2, { requests: 0 })),
    ];

    const output = capacityPolicy.decide(
      input(parameters, groups, { loadBalancerType: 'network' }),
    );

    expect(output.weights).toEqual([5, 2]);
  });

  it('holds when no group has a healthy host', () => {
    const output = capacityPolicy.decide(
      input(capacityParameters.parse({}), [group('A', 7, 0, []), group('B', 3, 0, [])]),
    );

    expect(output.hold).toBe(true);
    expect(output.weights).toEqual([7, 3]);
  });

  it('rejects a capacity of 0', () => {
    expect(capacityParameters.safeParse({ hostCapacities: { A: 0 } }).success).toBe(false);
  });
});
