import { TargetGroupObservation } from '../../lambda/contract';
import { planAction, PlanInput } from '../../lambda/control';
import { resolvePolicy } from '../../lambda/policies';
import { interpretActions } from '../../lambda/read-actions';
import { ActionState } from '../../lambda/state';
import { config, forwardAction, LABELS, LISTENER_ARN, steered, tgArn } from './controller-fixtures';

const NOW_MS = Date.UTC(2026, 0, 1, 12, 0);
const MINUTE = 60_000;
const ARNS = LABELS.map(tgArn);

function observations(weights: number[], healthy: number[]): TargetGroupObservation[] {
  return LABELS.map((label, i) => ({
    targetGroupArn: tgArn(label),
    label,
    currentWeight: weights[i],
    healthyHostCount: healthy[i],
    minutes: [0, 1, 2].map((m) => ({
      startMs: NOW_MS - (5 - m) * MINUTE,
      noData: false,
      requestCount: 100,
      http5xxCount: null,
      latencyAvgMs: 20,
      latencyP99Ms: null,
      healthyHostCount: healthy[i],
      custom: {},
    })),
  }));
}

function plan(
  liveWeights: number[],
  state: ActionState | undefined,
  healthy = [2, 2, 0],
  extra: Partial<PlanInput> = {},
) {
  const cfg = config();
  return planAction({
    config: steered(),
    live: interpretActions(steered(), LISTENER_ARN, [forwardAction(liveWeights)]),
    observations: observations(liveWeights, healthy),
    state,
    nowMs: NOW_MS,
    policy: resolvePolicy('healthy-hosts'),
    parameters: {},
    alarms: {},
    guardrails: cfg.guardrails,
    outsideChangeHoldMinutes: 30,
    ...extra,
  });
}

const written = (weights: number[]) => ({ weights, targetGroupArns: ARNS, atMs: NOW_MS - MINUTE });

describe('planAction', () => {
  it('steers with the decision step when nothing else applies', () => {
    const p = plan([10, 10, 10], undefined);

    expect(p.mode).toBe('steer');
    expect(p.write).toBe(true);
    expect(p.weights[2]).toBe(0);
    expect(p.decision?.reason).toBeTruthy();
  });

  it('holds set-weights override weights and writes them when the live ones differ', () => {
    const override = {
      kind: 'set-weights' as const,
      weights: [900, 99, 0],
      targetGroupArns: ARNS,
      setAtMs: NOW_MS - MINUTE,
      untilMs: NOW_MS + MINUTE,
    };

    const p = plan([10, 10, 10], { override });

    expect(p).toMatchObject({
      mode: 'override',
      weights: [900, 99, 0],
      write: true,
      decision: undefined,
    });
  });

  it('writes nothing while frozen', () => {
    const p = plan([10, 10, 10], {
      override: { kind: 'freeze', setAtMs: NOW_MS - MINUTE, untilMs: NOW_MS + MINUTE },
    });

    expect(p).toMatchObject({ mode: 'freeze', weights: [10, 10, 10], write: false });
  });

  it('steers again once an override has expired', () => {
    const p = plan([10, 10, 10], {
      override: { kind: 'freeze', setAtMs: NOW_MS - 9 * MINUTE, untilMs: NOW_MS },
    });

    expect(p.mode).toBe('steer');
    expect(p.nextState.override).toBeUndefined();
  });

  it('restores its own weights when the live ones are exactly the template weights a deploy leaves', () => {
    const p = plan([10, 10, 10], { lastWritten: written([600, 399, 0]) });

    expect(p).toMatchObject({
      mode: 'restore-after-deploy',
      weights: [600, 399, 0],
      write: true,
      outsideChangeSeen: false,
    });
  });

  it('respects any other outside change for the hold time and reports it once', () => {
    const first = plan([300, 700, 0], { lastWritten: written([600, 399, 0]) });
    expect(first).toMatchObject({
      mode: 'outside-change',
      weights: [300, 700, 0],
      write: false,
      outsideChangeSeen: true,
    });
    expect(first.nextState.outsideChange).toEqual({
      weights: [300, 700, 0],
      seenAtMs: NOW_MS,
      untilMs: NOW_MS + 30 * MINUTE,
    });

    const later = plan([300, 700, 0], first.nextState, [2, 2, 0], { nowMs: NOW_MS + 10 * MINUTE });
    expect(later).toMatchObject({ mode: 'outside-change', write: false, outsideChangeSeen: false });
  });

  it('steers from the outside weights once the hold is over', () => {
    const state = {
      lastWritten: written([600, 399, 0]),
      outsideChange: {
        weights: [300, 700, 0],
        seenAtMs: NOW_MS - 31 * MINUTE,
        untilMs: NOW_MS - MINUTE,
      },
    };

    const p = plan([300, 700, 0], state);

    expect(p.mode).toBe('steer');
    expect(p.nextState.outsideChange).toBeUndefined();
  });

  it('steers at once after an outside change when the hold is zero, and still reports it', () => {
    const p = plan([300, 700, 0], { lastWritten: written([600, 399, 0]) }, [2, 2, 0], {
      outsideChangeHoldMinutes: 0,
    });

    expect(p).toMatchObject({ mode: 'steer', outsideChangeSeen: true });
  });

  it('takes a pending write that landed as its own, not as an outside change', () => {
    const p = plan([500, 499, 0], {
      lastWritten: written([10, 10, 10]),
      pendingWrite: written([500, 499, 0]),
    });

    expect(p.mode).toBe('steer');
    expect(p.nextState.pendingWrite).toBeUndefined();
    expect(p.nextState.lastWritten?.weights).toEqual([500, 499, 0]);
  });

  it('writes nothing to an action that lost a configured target group', () => {
    const live = interpretActions(steered(), LISTENER_ARN, [
      forwardAction([5, 5], ['on-demand', 'spot']),
    ]);

    const p = plan([5, 5, 0], undefined, [2, 2, 0], { live });

    expect(p).toMatchObject({ mode: 'mismatch', write: false, outsideChangeSeen: true });
    expect(p.reason).toMatch(
      /^target group canary .* is no longer in the forward action; the controller writes nothing/,
    );
  });

  it('ignores weights last written for a different set of target groups', () => {
    const p = plan([10, 10, 10], {
      lastWritten: {
        weights: [500, 499],
        targetGroupArns: ARNS.slice(0, 2),
        atMs: NOW_MS - MINUTE,
      },
    });

    expect(p.mode).toBe('steer');
  });

  it('cuts a group without healthy targets from hand-set weights while another group has some', () => {
    const override = {
      kind: 'set-weights' as const,
      weights: [500, 0, 499],
      targetGroupArns: ARNS,
      setAtMs: NOW_MS - MINUTE,
      untilMs: NOW_MS + MINUTE,
    };

    const p = plan([10, 10, 10], { override }, [2, 2, 0]);

    expect(p.weights).toEqual([500, 0, 0]);
    expect(p.reason).toMatch(/set \[500, 0, 499\]; groups without healthy targets cut to 0/);
  });

  it('restores after a deploy without the groups that have lost their healthy targets', () => {
    const p = plan([10, 10, 10], { lastWritten: written([600, 300, 99]) }, [2, 2, 0]);

    expect(p).toMatchObject({ mode: 'restore-after-deploy', weights: [600, 300, 0] });
  });

  it('steers afresh after a deploy when what it wrote routed only to groups now without healthy targets', () => {
    const p = plan([10, 10, 10], { lastWritten: written([0, 0, 999]) }, [2, 2, 0]);

    expect(p.mode).toBe('steer');
    expect(p.weights[2]).toBe(0);
  });
});
