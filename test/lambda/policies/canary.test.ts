import { JsonValue, PolicyInput, TargetGroupObservation } from '../../../lambda/contract';
import { canaryParameters, CanaryParameters, canaryPolicy } from '../../../lambda/policies/canary';
import { group, input, minutes, MinuteSpec, NOW_MS } from './observations';

const parameters = canaryParameters.parse({
  canaryTargetGroup: 'D',
  baselineTargetGroup: 'A',
  rollbackAlarms: ['web-5xx'],
});
const run = (
  groups: readonly TargetGroupObservation[],
  extra: Partial<PolicyInput<CanaryParameters>> = {},
) => canaryPolicy.decide(input(parameters, groups, extra));

/** A step that began `minutesAgo` before now; minutes visible three minutes late. */
function stepState(step: number, minutesAgo: number): JsonValue {
  return { phase: 'stepping', step, stepStartMs: NOW_MS - minutesAgo * 60_000, verdict: '' };
}

/** Baseline A, another group B and canary D, with `count` visible minutes since the step began. */
function fleet(
  canary: MinuteSpec,
  count = 5,
  canaryWeight = 20,
  baseline: MinuteSpec = { requests: 6000, latencyMs: 50 },
) {
  return [
    group('A', 400, 4, minutes(count, baseline)),
    group('B', 300, 3, minutes(count, { requests: 4500, latencyMs: 35 })),
    group('D', canaryWeight, 4, minutes(count, canary)),
  ];
}
const D_ARN = fleet({ requests: 0 })[2].targetGroupArn;
const A_ARN = fleet({ requests: 0 })[0].targetGroupArn;

describe('canary policy', () => {
  it('starts the canary at the first step, a fraction of the baseline weight, leaving the others alone', () => {
    const output = run(fleet({ requests: 0 }, 0, 0));

    expect(output.weights).toEqual([400, 300, 20]);
    expect(output.state).toMatchObject({ phase: 'stepping', step: 0, stepStartMs: NOW_MS });
  });

  it('rolls the canary back to 0 and drains it when its error rate is more than a point above the baseline', () => {
    const output = run(fleet({ requests: 300, errors: 9, latencyMs: 50 }, 2), {
      state: stepState(0, 6),
    });

    expect(output.weights).toEqual([400, 300, 0]);
    expect(output.drain).toEqual([D_ARN]);
    expect(output.state).toMatchObject({ phase: 'rolled-back' });
    expect(output.reason).toMatch(/error rate 3.00%/);
  });

  it('tolerates an error rate within a point of the baseline', () => {
    const output = run(fleet({ requests: 300, errors: 2, latencyMs: 50 }, 2), {
      state: stepState(0, 6),
    });

    expect(output.weights).toEqual([400, 300, 20]);
    expect(output.drain).toBeUndefined();
  });

  it('rolls back when its successes are slower than the baseline by more than the latency ratio', () => {
    const output = run(fleet({ requests: 300, latencyMs: 70 }, 2), { state: stepState(0, 6) });

    expect(output.weights[2]).toBe(0);
    expect(output.reason).toMatch(/latency 70.0 ms/);
  });

  it('does not roll back on a latency ratio above the limit when the difference is under the margin', () => {
    const output = run(
      fleet({ requests: 300, latencyMs: 4 }, 2, 20, { requests: 6000, latencyMs: 2 }),
      { state: stepState(0, 6) },
    );

    expect(output.weights[2]).toBe(20);
  });

  it('rolls back when a named alarm is in ALARM, whatever the data says', () => {
    const output = run(fleet({ requests: 300, latencyMs: 50 }, 2), {
      state: stepState(0, 6),
      alarms: { 'web-5xx': 'ALARM' },
    });

    expect(output.weights[2]).toBe(0);
    expect(output.reason).toMatch(/web-5xx/);
  });

  it('judges only minutes that began after the step started', () => {
    const groups = fleet({ requests: 300, errors: 30, latencyMs: 50 }, 5);

    const output = run(groups, { state: stepState(0, 1) });

    expect(output.weights[2]).toBe(20);
    expect(output.reason).toMatch(/0 of 5 minutes seen/);
  });

  it('holds as inconclusive when a step has run its minutes without enough canary requests', () => {
    const output = run(fleet({ requests: 30, latencyMs: 50 }, 5), { state: stepState(0, 9) });

    expect(output.hold).toBe(true);
    expect(output.reason).toMatch(/inconclusive: 150 canary and 30000 baseline requests/);
    expect(output.state).toEqual(stepState(0, 9));
  });

  it('keeps the step while its minutes are still arriving', () => {
    const output = run(fleet({ requests: 300, latencyMs: 50 }, 3), { state: stepState(0, 7) });

    expect(output.weights).toEqual([400, 300, 20]);
    expect(output.state).toEqual(stepState(0, 7));
  });

  it('moves to the next step once a step has passed its minutes', () => {
    const output = run(fleet({ requests: 300, latencyMs: 50 }, 5), { state: stepState(0, 9) });

    expect(output.weights).toEqual([400, 300, 100]);
    expect(output.state).toMatchObject({ phase: 'stepping', step: 1, stepStartMs: NOW_MS });
  });

  it('promotes the canary in the baseline place after the last step passes', () => {
    const output = run(fleet({ requests: 6000, latencyMs: 50 }, 5, 400), {
      state: stepState(3, 9),
    });

    expect(output.weights).toEqual([0, 300, 400]);
    expect(output.drain).toEqual([A_ARN]);
    expect(output.state).toMatchObject({ phase: 'promoted' });
  });

  it('stays rolled back on later runs, even when the canary looks fine', () => {
    const rolledBack = {
      phase: 'rolled-back',
      step: 1,
      stepStartMs: NOW_MS - 600_000,
      verdict: 'canary error rate 3.00%',
    };

    const output = run(fleet({ requests: 0 }, 5, 0), { state: rolledBack });

    expect(output.weights[2]).toBe(0);
    expect(output.drain).toEqual([D_ARN]);
  });

  it('holds with a reason naming both parameters when the canary is not in the action', () => {
    const output = run(fleet({ requests: 0 }).slice(0, 2));

    expect(output.hold).toBe(true);
    expect(output.reason).toMatch(
      /canaryTargetGroup "D" and baselineTargetGroup "A" must name two different groups of this action \(A, B\)/,
    );
  });

  it('rejects steps that do not rise', () => {
    const result = canaryParameters.safeParse({
      canaryTargetGroup: 'D',
      baselineTargetGroup: 'A',
      steps: [0.5, 0.25],
    });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('steps must rise');
  });
});
