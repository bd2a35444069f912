import { JsonValue } from '../../../lambda/contract';
import { failoverParameters, failoverPolicy } from '../../../lambda/policies/failover';
import { group, input, minute, minutes, NOW_MS } from './observations';

const parameters = failoverParameters.parse({});
const clean = { requests: 600, latencyMs: 40 };

describe('failover policy', () => {
  it('drains a group with fewer healthy hosts than the minimum, keeping the others at nominal', () => {
    const output = failoverPolicy.decide(
      input(parameters, [
        group('A', 600, 3, minutes(1, clean)),
        group('B', 400, 0, minutes(1, clean)),
      ]),
    );

    expect(output.weights).toEqual([600, 0]);
    expect(output.drain).toEqual([group('B', 0, 0, []).targetGroupArn]);
  });

  it('drains a group whose newest visible minute fails more than the threshold', () => {
    const groups = [
      group('A', 600, 3, minutes(1, clean)),
      group('B', 400, 3, minutes(1, { requests: 600, errors: 60 })),
    ];

    const output = failoverPolicy.decide(input(parameters, groups));

    expect(output.weights).toEqual([600, 0]);
    expect(output.reason).toMatch(/B drained: error rate 10.0% above 5.0%/);
  });

  it('does not judge a minute with fewer requests than the minimum', () => {
    const groups = [
      group('A', 600, 3, minutes(1, clean)),
      group('B', 400, 3, minutes(1, { requests: 20, errors: 10 })),
    ];

    expect(failoverPolicy.decide(input(parameters, groups)).weights).toEqual([600, 400]);
  });

  it('keeps a drained group at 0 through the hold-down, then restores it a tenth of nominal a run', () => {
    const failing = [
      group('A', 600, 3, minutes(1, clean)),
      group('B', 400, 3, minutes(1, { requests: 600, errors: 60 })),
    ];
    let state: JsonValue = failoverPolicy.decide(input(parameters, failing)).state;
    const levels: number[] = [];

    for (let k = 1; k <= 8; k++) {
      const nowMs = NOW_MS + k * 60_000;
      const quiet = [
        group('A', 600, 3, [minute(nowMs - 180_000, clean)]),
        group('B', 0, 3, [minute(nowMs - 180_000, { requests: 0 })]),
      ];
      const output = failoverPolicy.decide(input(parameters, quiet, { nowMs, state }));
      state = output.state;
      levels.push(output.weights[1]);
    }

    expect(levels.map((w) => Number(w.toFixed(6)))).toEqual([0, 0, 0, 0, 40, 80, 120, 160]);
  });

  it('keeps a group with errors when draining it would drain more than half the nominal weight', () => {
    const groups = [
      group('A', 600, 3, minutes(1, { requests: 600, errors: 120 })),
      group('B', 400, 3, minutes(1, { requests: 600, errors: 60 })),
    ];

    const output = failoverPolicy.decide(input(parameters, groups));

    expect(output.weights).toEqual([600, 0]);
    expect(output.reason).toMatch(
      /A kept: error rate 20.0% above 5.0%, but draining it would drain more than 0.5/,
    );
  });

  it('holds rather than drain every group', () => {
    const output = failoverPolicy.decide(
      input(parameters, [group('A', 600, 0, []), group('B', 400, 0, [])]),
    );

    expect(output.hold).toBe(true);
    expect(output.reason).toMatch(/every group breaches/);
  });
});
