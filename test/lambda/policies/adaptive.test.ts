import {
  guardrailsSchema,
  JsonValue,
  PolicyInput,
  TargetGroupObservation,
} from '../../../lambda/contract';
import { decide } from '../../../lambda/decide';
import {
  AdaptiveParameters,
  adaptiveParameters,
  adaptivePolicy,
  failingFloorAt,
  risingLoadFactor,
  solveServiceMs,
  stableGain,
  WORKER_HYPOTHESES,
} from '../../../lambda/policies/adaptive';
import { erlangC, responseTimeQuantile } from '../../../bench/sim/erlang';
import { group, input, minute, minutes, NOW_MS, sharesOf } from './observations';

const defaults = adaptiveParameters.parse({});
/** The failing floor at 6000 requests a minute: enough for 1.5 × minRequests of them. */
const LOW_LOAD_FAILING_FLOOR = (1.5 * defaults.minRequests) / 6000;
/** A clock only a minute past the newest visible minute, so no gain is too high for the delay. */
const FRESH = { nowMs: NOW_MS - 2 * 60_000 };
const run = (
  overrides: object,
  groups: readonly TargetGroupObservation[],
  extra: Partial<PolicyInput<AdaptiveParameters>> = {},
) => adaptivePolicy.decide(input(adaptiveParameters.parse(overrides), groups, extra));

/** One visible minute of a pooled M/M/c group: the mean and p99 the queueing formulas give. */
function queueMinute(
  startMs: number,
  hosts: number,
  workers: number,
  rate: number,
  lambda: number,
  withP99 = true,
) {
  const servers = hosts * workers;
  const meanMs = 1000 * (1 / rate + erlangC(servers, lambda / rate) / (servers * rate - lambda));
  const p99Ms = withP99 ? 1000 * responseTimeQuantile(servers, rate, lambda, 0.99) : null;
  return minute(startMs, { requests: Math.round(lambda * 60), latencyMs: meanMs, p99Ms, hosts });
}

/** Two groups of three hosts with the same load; A answers in 40 ms, B in 100 ms. */
function fastAndSlow(weights: [number, number] = [500, 500]) {
  return [
    group('A', weights[0], 3, minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 })),
    group('B', weights[1], 3, minutes(3, { requests: 3000, latencyMs: 100, hosts: 3 })),
  ];
}

/**
 * fastAndSlow() learned, then, a minute later, B's newest minute shows overload (sent 3000
 * requests, it served 2100 well: 35 req/s) and A's a calm one on `aHosts` hosts. `weights` are the
 * ones in force then: by default those the learning run chose.
 */
function bOverloaded(
  weights?: readonly [number, number],
  aHosts = 3,
  b: { errors: number; latencyMs: number } = { errors: 900, latencyMs: 7000 },
) {
  const learned = run({}, fastAndSlow());
  const current = weights ?? learned.weights.map((w) => Math.round(w * 1000));
  const nowMs = NOW_MS + 60_000;
  const at = nowMs - 3 * 60_000;
  return {
    weights: current,
    groups: [
      group('A', current[0], aHosts, [
        minute(at, { requests: 3000, latencyMs: 40, hosts: aHosts }),
      ]),
      group('B', current[1], 3, [minute(at, { requests: 3000, ...b, hosts: 3 })]),
    ],
    extra: { state: learned.state, nowMs },
  };
}

/**
 * Weights 450/450/100: A and B, 3 single-worker hosts at 20 req/s each, take `perGroup` req/s; C,
 * on 3 hosts, takes `toCPerSecond` (2/9 of `perGroup` unless given) and fails half of it.
 */
function busyPairAndFailing(perGroup: number, toCPerSecond = (perGroup * 2) / 9) {
  const at = NOW_MS - 3 * 60_000;
  const toC = Math.round(toCPerSecond * 60);
  return [
    group('A', 450, 3, [queueMinute(at, 3, 1, 20, perGroup, false)]),
    group('B', 450, 3, [queueMinute(at, 3, 1, 20, perGroup, false)]),
    group('C', 100, 3, [minute(at, { requests: toC, errors: toC / 2, latencyMs: 30, hosts: 3 })]),
  ];
}

describe('adaptive policy', () => {
  it('gives the group that answers faster at the same load more traffic, without p99 data', () => {
    const output = run({}, fastAndSlow());

    const [a, b] = sharesOf(output.weights);
    expect(a).toBeGreaterThan(0.54);
    expect(b).toBeLessThan(0.46);
  });

  it('closes only the gain fraction of the gap to its target split each run', () => {
    const slow = sharesOf(run({ gain: 0.2 }, fastAndSlow(), FRESH).weights)[0] - 0.5;
    const fast = sharesOf(run({ gain: 0.8 }, fastAndSlow(), FRESH).weights)[0] - 0.5;

    expect(fast / slow).toBeCloseTo(4, 6);
  });

  it('lowers its gain below the stability limit of the delay its metrics show', () => {
    const fresh = sharesOf(run({ gain: 1 }, fastAndSlow(), FRESH).weights)[0] - 0.5;
    const stale = [
      group(
        'A',
        500,
        3,
        minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 }, NOW_MS - 6 * 60_000),
      ),
      group(
        'B',
        500,
        3,
        minutes(3, { requests: 3000, latencyMs: 100, hosts: 3 }, NOW_MS - 6 * 60_000),
      ),
    ];

    const late = sharesOf(run({ gain: 1 }, stale).weights)[0] - 0.5;

    // Minutes ending 5 min before now: the stable gain is 2·sin(π/22) ≈ 0.28, and 90% of it is used.
    expect(stableGain(stale, NOW_MS)).toBeCloseTo(0.9 * 2 * Math.sin(Math.PI / 22), 2);
    expect(late / fresh).toBeLessThan(0.5);
  });

  it('keeps every group with healthy hosts at or above the floor', () => {
    // B serves 1 request/s at 3 s each: its capacity is a few requests a second.
    const groups = [
      group('A', 500, 3, minutes(3, { requests: 3000, latencyMs: 30, hosts: 3 })),
      group('B', 500, 3, minutes(3, { requests: 60, latencyMs: 3000, hosts: 3 })),
    ];

    const shares = sharesOf(run({ gain: 1, floor: 0.05, maxShare: 1 }, groups, FRESH).weights);

    expect(shares[1]).toBeCloseTo(0.05, 9);
  });

  it('keeps the current weights when no share would move by more than the deadband', () => {
    const first = run({ gain: 1 }, fastAndSlow(), FRESH);
    const settled = first.weights.map((w) => Math.round(w * 1000)) as [number, number];

    const again = run({ gain: 1 }, fastAndSlow(settled), { ...FRESH, state: first.state });

    expect(again.weights).toEqual(sharesOf(settled));
  });

  it('keeps its weights when the model expects a move to gain less than minImprovement', () => {
    const alike = (weights: [number, number]) => [
      group('A', weights[0], 3, minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 })),
      group('B', weights[1], 3, minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 })),
    ];
    // No surge planned: 0.56 of a load both groups carry easily breaks no plan.
    const steer = { gain: 1, deadband: 0.01, surgeFactor: 1 };

    const held = run({ ...steer, minImprovement: 0.2 }, alike([560, 440]), FRESH);
    const moved = run({ ...steer, minImprovement: 0 }, alike([560, 440]), FRESH);

    expect(held.weights).toEqual([0.56, 0.44]);
    expect(sharesOf(moved.weights)[0]).toBeCloseTo(0.5, 2);
  });

  it('cuts a group that fails fast to its failing floor in one run, whatever the gain', () => {
    const groups = [
      group('A', 500, 10, minutes(3, { requests: 3000, latencyMs: 50, hosts: 10 })),
      group('B', 500, 3, minutes(3, { requests: 3000, errors: 1500, latencyMs: 27, hosts: 3 })),
    ];

    const output = run({ gain: 0.1 }, groups);

    // 6000 requests a minute: the failing floor is what still gets B 1.5 × minRequests of them.
    expect(sharesOf(output.weights)[1]).toBeCloseTo(LOW_LOAD_FAILING_FLOOR, 9);
    expect(output.probe).toEqual([groups[1].targetGroupArn]);
  });

  it('cuts a failing group to its failing floor though the cut is within the deadband', () => {
    // B holds 2% of 51 req/s and fails half of it: its failing floor is about 1%, a move of less
    // than the deadband (0.02).
    const groups = [
      group('A', 980, 10, minutes(3, { requests: 3000, latencyMs: 50, hosts: 10 })),
      group('B', 20, 3, minutes(3, { requests: 60, errors: 30, latencyMs: 27, hosts: 3 })),
    ];

    const output = run({}, groups);

    expect(output.reason).toMatch(/^stepping/);
    expect(sharesOf(output.weights)[1]).toBeCloseTo(failingFloorAt(defaults, 3060 / 60), 6);
  });

  it('keeps a failing group at failingFloor, or at what still gets it 1.5 × minRequests a minute', () => {
    // 1000 req/s: 0.002 of it is 120 a minute; 100 req/s: 30 a minute need 0.005; 10 req/s: the
    // 0.05 that would take is more than the floor of a working group, which caps it.
    expect(failingFloorAt(defaults, 1000)).toBe(defaults.failingFloor);
    expect(failingFloorAt(defaults, 100)).toBeCloseTo(0.005, 12);
    expect(failingFloorAt(defaults, 10)).toBe(defaults.floor);
  });

  it('sees a failing group recover at low load, its floor still read every minute', () => {
    // 100 req/s over two alike groups; B fails half its requests in minutes 5–9, then recovers.
    // Minute m is visible from run m + 3; every run goes through the decision step with the
    // library's default guardrails.
    const start = NOW_MS - 60 * 60_000;
    const history: { shares: number[]; failing: boolean }[] = [];
    let weights = [500, 499];
    let state: JsonValue | undefined;
    for (let m = 0; m < 40; m++) {
      history.push({ shares: sharesOf(weights), failing: m >= 5 && m < 10 });
      const visible = history
        .map((h, k) => ({ ...h, k }))
        .filter((h) => h.k <= m - 3)
        .slice(-5);
      const groups = ['A', 'B'].map((label, i) =>
        group(
          label,
          weights[i],
          4,
          visible.map((h) => {
            const requests = Math.round(h.shares[i] * 6000);
            const errors = i === 1 && h.failing ? Math.round(requests / 2) : 0;
            return minute(start + h.k * 60_000, { requests, errors, latencyMs: 40, hosts: 4 });
          }),
        ),
      );
      const decision = decide({
        nowMs: start + m * 60_000 + 5_000,
        actionId: 'web-default',
        loadBalancerType: 'application',
        targetGroups: groups,
        policy: adaptivePolicy,
        parameters: {},
        state,
        alarms: {},
        guardrails: guardrailsSchema.parse({}),
      });
      state = decision.state as JsonValue;
      weights = decision.weights;
      if (m === 12) expect(sharesOf(weights)[1]).toBeLessThan(0.01);
    }

    expect(sharesOf(weights)[1]).toBeGreaterThan(0.3);
  });

  it("cuts a failing group to its failing floor at once under the guardrails' defaults", () => {
    const groups = [
      group('A', 500, 10, minutes(3, { requests: 3000, latencyMs: 50, hosts: 10 })),
      group('B', 500, 3, minutes(3, { requests: 3000, errors: 1500, latencyMs: 27, hosts: 3 })),
    ];

    const decision = decide({
      nowMs: NOW_MS,
      actionId: 'web-default',
      loadBalancerType: 'application',
      targetGroups: groups,
      policy: adaptivePolicy,
      parameters: {},
      state: undefined,
      alarms: {},
      // The library's defaults: minShare 0.02, and a 0.1 step that A may pass to take what B sheds.
      guardrails: guardrailsSchema.parse({}),
    });

    expect(guardrailsSchema.parse({}).minShare).toBeGreaterThan(LOW_LOAD_FAILING_FLOOR);
    expect(decision.weights[1] / (decision.weights[0] + decision.weights[1])).toBeCloseTo(
      LOW_LOAD_FAILING_FLOOR,
      3,
    );
  });

  it('cuts a failing group only as far as the other groups have room for its traffic', () => {
    const groups = [
      group('A', 500, 3, minutes(3, { requests: 3000, latencyMs: 50, hosts: 3 })),
      group('B', 500, 3, minutes(3, { requests: 3000, errors: 1500, latencyMs: 27, hosts: 3 })),
    ];

    const gentle = sharesOf(run({ gain: 0.1 }, groups, FRESH).weights)[1];
    const output = run({ gain: 1 }, groups, FRESH);
    const full = sharesOf(output.weights)[1];
    const learned = output.state as { groups: Record<string, { hostCapacity: number }> };
    const capacityOfA = 3 * learned.groups[groups[0].targetGroupArn].hostCapacity;

    // A alone cannot take all of B's 100 req/s, so B keeps what A cannot carry 90% busy.
    expect(gentle).toBeCloseTo(full, 9);
    expect(full).toBeCloseTo(1 - (0.9 * capacityOfA) / 100, 2);
  });

  it('restores a cut group by at most restoreStep a run once its errors stop', () => {
    const clean = { requests: 3000, latencyMs: 50, hosts: 3 };
    let history = {
      A: minutes(3, { requests: 3000, latencyMs: 50, hosts: 10 }),
      B: minutes(3, { requests: 3000, errors: 1500, latencyMs: 27, hosts: 3 }),
    };
    let output = run({}, [group('A', 500, 10, history.A), group('B', 500, 3, history.B)]);
    const shares = [sharesOf(output.weights)[1]];

    for (let k = 1; k <= 12; k++) {
      const nowMs = NOW_MS + k * 60_000;
      const fresh = minute(nowMs - 3 * 60_000, clean);
      history = { A: [...history.A.slice(1), fresh], B: [...history.B.slice(1), fresh] };
      const weights = output.weights.map((w) => Math.round(w * 1000));
      output = run(
        {},
        [group('A', weights[0], 10, history.A), group('B', weights[1], 3, history.B)],
        { state: output.state, nowMs },
      );
      shares.push(sharesOf(output.weights)[1]);
    }

    const rises = shares.slice(1).map((s, k) => s - shares[k]);
    expect(Math.max(...rises)).toBeLessThanOrEqual(defaults.restoreStep + 0.001);
    expect(shares[shares.length - 1]).toBeGreaterThan(0.15);
  });

  it('reads errors with very slow successes as overload: less traffic, but no learned error rate', () => {
    const { weights: current, groups, extra } = bOverloaded();

    const output = run({}, groups, extra);

    expect(sharesOf(output.weights)[1]).toBeLessThan(sharesOf(current)[1]);
    const state = output.state as { groups: Record<string, { errorRate: number }> };
    expect(Object.values(state.groups).map((g) => g.errorRate)).toEqual([0, 0]);
  });

  it('learns no service time from a minute whose load jumped, as its queues are no steady state', () => {
    const serviceOfA = (newest: { requests: number; latencyMs: number }) => {
      const visible = [
        minute(NOW_MS - 5 * 60_000, { requests: 3000, latencyMs: 40, hosts: 3 }),
        minute(NOW_MS - 4 * 60_000, { requests: 3000, latencyMs: 40, hosts: 3 }),
        minute(NOW_MS - 3 * 60_000, { ...newest, hosts: 3 }),
      ];
      const state = run({}, [group('A', 500, 3, visible), fastAndSlow()[1]]).state as {
        groups: Record<string, { serviceMs: number[]; workers: number }>;
      };
      const a = Object.values(state.groups)[0];
      return a.serviceMs[a.workers];
    };

    const before = serviceOfA({ requests: 3000, latencyMs: 40 });
    const slowedAtSameLoad = serviceOfA({ requests: 3000, latencyMs: 120 });
    const slowedAsLoadJumped = serviceOfA({ requests: 4500, latencyMs: 120 });

    expect(slowedAtSameLoad).toBeGreaterThan(before * 1.3);
    expect(slowedAsLoadJumped).toBeCloseTo(before, 9);
  });

  it('takes traffic from a group in the very run its live healthy hosts drop', () => {
    const full = sharesOf(run({}, fastAndSlow()).weights)[0];
    const groups = fastAndSlow();

    const halved = sharesOf(run({}, [{ ...groups[0], healthyHostCount: 1 }, groups[1]]).weights)[0];

    // A holds half the traffic: with three hosts it would get more, with one it gets less at once.
    expect(full).toBeGreaterThan(0.5 + 0.03);
    expect(halved).toBeLessThan(0.5 - 0.03);
  });

  it('never steers one group above maxShare', () => {
    const groups = [
      group('A', 500, 10, minutes(3, { requests: 3000, latencyMs: 10, hosts: 10 })),
      group('B', 500, 1, minutes(3, { requests: 3000, latencyMs: 500, hosts: 1 })),
    ];

    const shares = sharesOf(run({ gain: 1, maxShare: 0.7 }, groups, FRESH).weights);

    expect(shares[0]).toBeLessThanOrEqual(0.7 + 1e-9);
  });

  it('lets a group past maxShare when the others have no room for the rest', () => {
    // A: 10 one-worker hosts at 20 req/s, B: 2 of them, each half busy. With A at maxShare (0.6),
    // B would get 48 of the 120 req/s: more than its 40 req/s of capacity.
    const visible = (hosts: number, lambda: number) =>
      [5, 4, 3].map((back) => queueMinute(NOW_MS - back * 60_000, hosts, 1, 20, lambda, false));
    const groups = [group('A', 833, 10, visible(10, 100)), group('B', 167, 2, visible(2, 20))];

    const shares = sharesOf(run({ gain: 1, maxShare: 0.6 }, groups, FRESH).weights);

    expect(shares[0]).toBeGreaterThan(0.6 + 0.05);
    expect(shares[1] * 120).toBeLessThan(defaults.maxUtilisation * 40 + 1e-6);
  });

  it('credits an overloaded group with no more capacity than it served', () => {
    // B took in 3000 requests and served 2100 of them well: 35 req/s.
    const { groups, extra } = bOverloaded();

    const output = run({ deadband: 0 }, groups, extra);

    // 100 req/s in all; B is planned no busier than maxUtilisation of what it served.
    expect(sharesOf(output.weights)[1] * 100).toBeLessThanOrEqual(
      defaults.maxUtilisation * 35 + 1e-6,
    );
  });

  it('steps a group still past its plan after an overload cut down by more than the deadband', () => {
    // B's overload is not read as a fault here (degradedFactor), so a surge is still planned on
    // its capacity and the split the cut left breaks that plan.
    const notDegraded = { degradedFactor: 10 };
    const { groups: visible, extra } = bOverloaded([500, 500]);
    const cut = run(notDegraded, visible, extra);
    // The cut put B on its target. A minute on, nothing new is visible: the target stays.
    const target = sharesOf(cut.weights)[1];
    const next = { state: cut.state, nowMs: extra.nowMs + 60_000 };
    const above = target + defaults.deadband;
    const weights = [Math.round(1000 * (1 - above)), Math.round(1000 * above)];

    const moved = run(
      notDegraded,
      visible.map((g, i) => ({ ...g, currentWeight: weights[i] })),
      next,
    );
    const b = sharesOf(moved.weights)[1];

    // The gain alone would move it by half the gap, within the deadband; it lands on the target.
    expect(b).toBeCloseTo(target, 3);
  });

  it('plans a group cut for overload no busier than maxUtilisation, even when all are busy', () => {
    // B served 35 req/s of the 50 it was sent; A, down to two hosts, has about 61 req/s: 100 req/s
    // leave the whole fleet busier than maxUtilisation, so the others are planned up to 0.98.
    const { groups, extra } = bOverloaded([500, 500], 2);

    const output = run({}, groups, extra);

    // Planned like the others, B would keep 0.98 × 35 req/s and never drain its backlog. (0.5 req/s
    // is the split search's finest step.)
    expect(sharesOf(output.weights)[1] * 100).toBeLessThanOrEqual(
      defaults.maxUtilisation * 35 + 0.5,
    );
  });

  it('reads a backlog as overload, with no request turned away', () => {
    // B served all 3000 requests (50 req/s), but they took 5 s: only a queue that grows explains
    // that. It is cut at once to what it served at maxUtilisation, not stepped by the gain.
    const { groups, extra } = bOverloaded([500, 500], 3, { errors: 0, latencyMs: 5000 });

    const output = run({ gain: 0.2 }, groups, extra);

    expect(sharesOf(output.weights)[1] * 100).toBeLessThanOrEqual(
      defaults.maxUtilisation * 50 + 0.5,
    );
  });

  it('reads no backlog into a minute whose load jumped: a flash crowd backs up every group', () => {
    const { groups, extra } = bOverloaded([500, 500], 3, { errors: 0, latencyMs: 5000 });
    // The minute before, the whole fleet had half the load.
    const before = (g: TargetGroupObservation) =>
      minute(g.minutes[0].startMs - 60_000, { requests: 1500, latencyMs: 40, hosts: 3 });
    const jumped = groups.map((g) => ({ ...g, minutes: [before(g), ...g.minutes] }));

    const output = run({ gain: 0.2 }, jumped, extra);

    // Not cut to what it served at maxUtilisation (0.425 of the traffic); stepped by the gain.
    expect(sharesOf(output.weights)[1]).toBeGreaterThan(defaults.maxUtilisation * 0.5 + 0.02);
  });

  it('reads no backlog into a minute not overloadLatencyFactor times slower than service', () => {
    // 4 s against B's 48 ms service time is 83 times slower: a backlog by the default factor of 3.
    const { groups, extra } = bOverloaded([500, 500], 3, { errors: 0, latencyMs: 4000 });

    const output = run({ gain: 0.2, overloadLatencyFactor: 100 }, groups, extra);

    expect(sharesOf(output.weights)[1]).toBeGreaterThan(defaults.maxUtilisation * 0.5 + 0.02);
  });

  it('steps a group that is busy but keeps up by the gain, without a cut', () => {
    // 200 ms at 50 req/s: twice B's usual latency, the steady wait of a busy queue, not a backlog.
    const { groups, extra } = bOverloaded([500, 500], 3, { errors: 0, latencyMs: 200 });

    const slow = sharesOf(run({ gain: 0.1, deadband: 0 }, groups, extra).weights)[1];
    const fast = sharesOf(run({ gain: 0.2, deadband: 0 }, groups, extra).weights)[1];

    // The target is 0.1 away, so a tenth of the way is a step of 0.01, which a cut would exceed.
    expect(0.5 - slow).toBeGreaterThan(0.005);
    expect(0.5 - fast).toBeCloseTo(2 * (0.5 - slow), 2);
  });

  it('never sends traffic into a failing group to make room for a surge', () => {
    // 60 req/s. With all of it on A and B, each is half busy, past a surge plan of 40%; C has
    // room, but only for requests that fail.
    const groups = busyPairAndFailing(27);

    const output = run({ gain: 1, deadband: 0, surgeUtilisation: 0.4 }, groups, FRESH);

    expect(sharesOf(output.weights)[2]).toBeLessThanOrEqual(failingFloorAt(defaults, 60) + 1e-3);
  });

  it('plans the working groups down to 90% busy as the load past their capacity grows', () => {
    // A and B can carry 120 req/s between them only at full load; C fails half of what it gets.
    const toFailing = (load: number) => {
      // The weights in force are the split that sent each group its load.
      const groups = busyPairAndFailing(54, load - 108).map((g, i) => ({
        ...g,
        currentWeight: Math.round((1000 * (i < 2 ? 54 : load - 108)) / load),
      }));
      return sharesOf(run({ gain: 1, deadband: 0 }, groups, FRESH).weights)[2];
    };

    // At 120 req/s, 0.25 of the way from 98% to 106% of their capacity: planned 96% busy. At 138
    // req/s, past 106%: planned 90%, as the oracle plans, since estimates a few percent too high
    // would leave a group planned at 98% overloaded.
    expect(toFailing(120)).toBeCloseTo(1 - (0.96 * 120) / 120, 2);
    expect(toFailing(138)).toBeCloseTo(1 - (0.9 * 120) / 138, 2);
  });

  it('keeps steering the working groups while a failing one is probed at its floor', () => {
    const steer = { deadband: 0.005 };
    const learned = run(steer, [
      ...fastAndSlow([450, 450]),
      group('C', 100, 3, minutes(3, { requests: 600, errors: 300, latencyMs: 5, hosts: 3 })),
    ]);
    const nowMs = NOW_MS + 60_000;
    const at = nowMs - 3 * 60_000;
    // A minute on, C has no new minute; A and B sit off the split the policy wants.
    const groups = [
      group('A', 570, 3, [minute(at, { requests: 3000, latencyMs: 40, hosts: 3 })]),
      group('B', 425, 3, [minute(at, { requests: 3600, latencyMs: 100, hosts: 3 })]),
      group('C', 5, 3, []),
    ];

    const output = run(steer, groups, { state: learned.state, nowMs });

    expect(output.reason).toMatch(/^stepping/);
    expect(sharesOf(output.weights)[0]).toBeGreaterThan(0.575);
  });

  describe('through a fault the metrics show', () => {
    const rates: Record<string, number> = { A: 25, B: 20, C: 15 };
    /**
     * Groups A, B and C of single-worker hosts at 25, 20 and 15 req/s (B at `bRate`) sharing
     * `load` req/s by `split`: `count` minutes, the newest starting at `startMs`.
     */
    const fleet = (
      startMs: number,
      bRate: number,
      { count = 1, hosts = 10, load = 150, split = [0.4, 0.35, 0.25] } = {},
    ) =>
      ['A', 'B', 'C'].map((label, i) =>
        group(
          label,
          Math.round(1000 * split[i]),
          hosts,
          Array.from({ length: count }, (_, k) =>
            queueMinute(
              startMs - (count - 1 - k) * 60_000,
              hosts,
              1,
              label === 'B' ? bRate : rates[label],
              load * split[i],
            ),
          ),
        ),
      );
    const steer = { gain: 1, deadband: 0, minImprovement: 0 };
    /** Whether A, which the model likes best, is held at maxShare, a little under it at most. */
    const capped = (shares: readonly number[]) =>
      shares[0] <= defaults.maxShare + 1e-9 && shares[0] > defaults.maxShare - 0.02;
    /**
     * Shares after ten minutes at full speed, then after runs `later` ms apart, each seeing one
     * minute with B at `bRates[k]`.
     */
    const runs = (overrides: object, bRates: readonly number[], later: number, shape = {}) => {
      let output = run(
        { ...steer, ...overrides },
        fleet(FRESH.nowMs - 60_000, 20, { ...shape, count: 10 }),
        FRESH,
      );
      const outputs = [output];
      bRates.forEach((bRate, k) => {
        const nowMs = FRESH.nowMs + (k + 1) * later;
        output = run({ ...steer, ...overrides }, fleet(nowMs - 60_000, bRate, shape), {
          state: output.state,
          nowMs,
        });
        outputs.push(output);
      });
      return outputs.map((o) => sharesOf(o.weights));
    };

    it('steers past maxShare once another group serves markedly slower than its fastest', () => {
      // At a quarter of their capacity, the model would send A, the fastest, most of the traffic.
      const [before, after] = runs({}, [20 / 3], 60_000);

      expect(capped(before)).toBe(true);
      expect(after[0]).toBeGreaterThan(0.9);
      expect(after[1]).toBeCloseTo(defaults.floor, 6);
    });

    it('keeps maxShare through the fault when maxShareDuringFault is set to it', () => {
      const [, after] = runs({ maxShareDuringFault: defaults.maxShare }, [20 / 3], 60_000);

      expect(capped(after)).toBe(true);
    });

    it('reads no group as degraded at the speed it always had', () => {
      const [, later] = runs({}, [20], 60_000);

      expect(capped(later)).toBe(true);
    });

    it('reads a group that stays slow as degraded for two to four hours, then as its new normal', () => {
      // Runs an hour apart, B slow from the first: its fastest is forgotten once two windows of
      // two hours have begun since, here three hours on.
      const [, ...slow] = runs({}, [20 / 3, 20 / 3, 20 / 3, 20 / 3], 60 * 60_000);

      expect(slow.slice(0, 3).map((shares) => shares[0] > 0.9)).toEqual([true, true, true]);
      expect(capped(slow[3])).toBe(true);
    });

    it('counts no degraded group as room for a surge, so none is pushed into it', () => {
      // 100 req/s over 4 hosts each. Were slowed B counted, a 1.6× surge would fit only with B
      // carrying some of it; without it, the surge planned shrinks and B keeps just its floor.
      const shape = { hosts: 4, load: 100, split: [0.5, 0.15, 0.35] };
      const [, after] = runs({}, [20 / 3], 60_000, shape);

      expect(after[1]).toBeCloseTo(defaults.floor, 6);
    });

    it('learns no fastest service time from a minute of fewer than 200 requests', () => {
      const fastest = (requestsPerMinute: number) => {
        const groups = fleet(FRESH.nowMs - 60_000, 20, { load: (requestsPerMinute / 60) * 4 });
        const state = run({}, groups, FRESH).state as {
          groups: Record<string, { fastest?: unknown }>;
        };
        return state.groups[groups[1].targetGroupArn].fastest;
      };

      // B takes 0.35 of the load: 0.35 × 4 × 140 = 196 requests in its minute, then 210.
      expect(fastest(140)).toBeUndefined();
      expect(fastest(150)).toBeDefined();
    });
  });

  it('follows a change in live healthy hosts at once, damping only what the metrics taught', () => {
    const open = { deadband: 0, minImprovement: 0, maxShare: 1, surgeFactor: 1 };
    const learned = run({ ...open, gain: 1 }, fastAndSlow(), FRESH);
    const settled = learned.weights.map((w) => Math.round(w * 1000)) as [number, number];
    // The same minutes a minute on, so nothing new is learned; A now has twice the hosts.
    const [a, b] = fastAndSlow(settled);
    const scaledOut = [{ ...a, healthyHostCount: 6 }, b];
    const next = (gain: number) =>
      sharesOf(run({ ...open, gain }, scaledOut, { ...FRESH, state: learned.state }).weights)[0];

    expect(next(0.2)).toBeGreaterThan(sharesOf(settled)[0] + 0.05);
    expect(next(0.2)).toBeCloseTo(next(1), 2);
  });

  describe('with surgeFactor', () => {
    const steer = { gain: 1, deadband: 0, maxShare: 1, surgeUtilisation: 0.98 };
    // Each group: 50 req/s on 3 hosts, read as an M/M/3 queue (no p99 to tell workers apart): A
    // (40 ms) as 91 req/s of capacity, B (100 ms) as 62.
    const targetShareOfA = (surgeFactor: number) =>
      sharesOf(run({ ...steer, surgeFactor }, fastAndSlow(), FRESH).weights)[0];

    it('leaves every group room to carry the surge multiple of the load it is given', () => {
      const unhedged = targetShareOfA(1);
      const hedged = targetShareOfA(1.45);

      // At 1.45 × the 100 req/s observed, A may take at most 0.98 × 91.1 / 145 of it.
      expect(hedged).toBeLessThanOrEqual((0.98 * 91.1) / 145 + 0.005);
      expect(hedged).toBeLessThan(unhedged - 0.01);
    });

    it('changes nothing while the split at the observed load already carries the surge', () => {
      expect(targetShareOfA(1.3)).toBeCloseTo(targetShareOfA(1), 6);
    });

    it('plans for no surge that even a balanced fleet could not carry', () => {
      // 3 × 100 req/s is more than the 205 req/s both groups can serve.
      expect(targetShareOfA(3)).toBeCloseTo(targetShareOfA(1), 6);
    });

    it('moves off a split that leaves a group no room for the surge, however little p99 gains', () => {
      // Two alike groups of 91 req/s: 0.6 of 100 req/s × 1.6 is more than A can carry.
      const alike = [
        group('A', 600, 3, minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 })),
        group('B', 400, 3, minutes(3, { requests: 3000, latencyMs: 40, hosts: 3 })),
      ];
      const hold = { deadband: 0.01, minImprovement: 0.2, maxShare: 1 };

      const planned = sharesOf(run({ ...hold, gain: 1, surgeFactor: 1.6 }, alike, FRESH).weights);
      // A small step, still short of the plan, is taken all the same.
      const stepped = sharesOf(run({ ...hold, gain: 0.1, surgeFactor: 1.6 }, alike, FRESH).weights);
      const unplanned = sharesOf(run({ ...hold, gain: 1, surgeFactor: 1 }, alike, FRESH).weights);

      expect(unplanned[0]).toBeCloseTo(0.6, 9);
      expect(planned[0]).toBeLessThanOrEqual((0.97 * 91.1) / 160 + 0.01);
      expect(stepped[0]).toBeLessThan(0.6 - 0.005);
    });

    it('plans in full for a load seen rising, even where the fleet has little room', () => {
      // The benchmark's fleet (A 160, B 180, C 80 req/s), split by capacity: 252 req/s, then 328
      // (fleet 78% busy). Steady at 328, no 1.6× surge fits, so none is planned; rising from 252,
      // the load may be well past 328 by now, and only the capacity split leaves every group room.
      const fleet = [
        ['A', 4, 2, 20],
        ['B', 3, 2, 30],
        ['C', 5, 1, 16],
      ] as const;
      const proportional = [160 / 420, 180 / 420, 80 / 420];
      const shares = (before: number) =>
        sharesOf(
          run(
            { gain: 1, deadband: 0 },
            fleet.map(([label, hosts, workers, rate], i) =>
              group(label, Math.round(999 * proportional[i]), hosts, [
                queueMinute(NOW_MS - 4 * 60_000, hosts, workers, rate, before * proportional[i]),
                queueMinute(NOW_MS - 3 * 60_000, hosts, workers, rate, 328 * proportional[i]),
              ]),
            ),
            FRESH,
          ).weights,
        );

      const rising = shares(252);
      const steady = shares(328);

      rising.forEach((share, i) => expect(Math.abs(share - proportional[i])).toBeLessThan(0.01));
      expect(steady[1]).toBeGreaterThan(rising[1] + 0.02);
    });

    it('does not hold a split past maxUtilisation while load rises, though no split fits the surge', () => {
      // Two alike groups of 4 × 2 workers at 20/s, 244 then 268 req/s; A holds 0.52, past the
      // planned utilisation, and a 1.1 rise asks for a surge no split can carry.
      const split = [0.52, 0.48];
      const groups = ['A', 'B'].map((label, i) =>
        group(label, Math.round(999 * split[i]), 4, [
          ...Array.from({ length: 9 }, (_, k) =>
            queueMinute(NOW_MS - (12 - k) * 60_000, 4, 2, 20, (268 / 1.1) * split[i]),
          ),
          queueMinute(NOW_MS - 3 * 60_000, 4, 2, 20, 268 * split[i]),
        ]),
      );

      const output = run({}, groups);

      expect(output.reason).toMatch(/^stepping/);
      expect(sharesOf(output.weights)[0]).toBeLessThan(0.52);
    });

    it('plans for a flash crowd of 1.6 times the load by default, with a little margin', () => {
      expect(defaults.surgeFactor).toBe(1.6);
      expect(defaults.surgeUtilisation).toBe(0.97);
    });
  });

  it('expects a load that grew into the newest minute to grow as fast while the metrics are late', () => {
    // 10% a minute, two minutes late and one to the next run: 1.1³; never past surgeFactor.
    expect(risingLoadFactor(1.1, 2, 1.6)).toBeCloseTo(1.331, 9);
    expect(risingLoadFactor(1.5, 2, 1.6)).toBe(1.6);
    expect(risingLoadFactor(1, 2, 1.6)).toBe(1);
  });

  it('follows healthy hosts on a network load balancer, which publishes no load or latency', () => {
    const groups = [
      group('A', 500, 6, minutes(3, { requests: 0 })),
      group('B', 500, 2, minutes(3, { requests: 0 })),
    ];

    const output = run({}, groups, { loadBalancerType: 'network' });

    expect(output.weights).toEqual([6, 2]);
    expect(output.hold).toBeFalsy();
  });

  describe('estimating service time and workers per host', () => {
    /** Ten minutes, the newest ending three minutes before now, as `queueMinute` gives them. */
    function queueMinutes(
      hosts: number,
      workers: number,
      rate: number,
      lambda: number,
      p99 = true,
    ) {
      return Array.from({ length: 10 }, (_, k) =>
        queueMinute(NOW_MS - (12 - k) * 60_000, hosts, workers, rate, lambda, p99),
      );
    }
    const learned = (groups: readonly TargetGroupObservation[]) => {
      const state = run({}, groups).state as {
        groups: Record<string, { hostCapacity: number; workers: number }>;
      };
      return groups.map((g) => state.groups[g.targetGroupArn]);
    };

    it('reads hosts of two workers from how p99 stands to the mean, not as a queue each', () => {
      // The example fleet's A and C at B1's split: 4 hosts × 2 workers at 20/s, 5 × 1 at 16/s.
      const [a, c] = learned([
        group('A', 400, 4, queueMinutes(4, 2, 20, 96)),
        group('C', 200, 5, queueMinutes(5, 1, 16, 48)),
      ]);

      expect(WORKER_HYPOTHESES[a.workers]).toBe(2);
      expect(a.hostCapacity).toBeCloseTo(40, 0);
      expect(WORKER_HYPOTHESES[c.workers]).toBe(1);
      expect(c.hostCapacity).toBeCloseTo(16, 0);
    });

    it('assumes one worker per host without p99 data, which never overestimates capacity', () => {
      const [a] = learned([group('A', 500, 4, queueMinutes(4, 2, 20, 96, false))]);

      expect(WORKER_HYPOTHESES[a.workers]).toBe(1);
      expect(a.hostCapacity).toBeLessThan(40);
    });

    it('assumes one worker per host when no hypothesis explains the tail, as with long-tailed service', () => {
      // A's mean as M/M/c gives it, with a p99 30% longer than exponential service times make it.
      const longTailed = queueMinutes(4, 2, 20, 96).map((m) => ({
        ...m,
        latencyP99Ms: m.latencyP99Ms! * 1.3,
      }));
      const [exponential] = learned([group('A', 400, 4, queueMinutes(4, 2, 20, 96))]);
      const [heavy] = learned([group('A', 400, 4, longTailed)]);

      expect(WORKER_HYPOTHESES[exponential.workers]).toBe(2);
      expect(WORKER_HYPOTHESES[heavy.workers]).toBe(1);
      expect(heavy.hostCapacity).toBeLessThan(40);
    });

    it('finds the mean service time that explains the mean latency of a pooled queue', () => {
      const meanMs = 1000 * (1 / 20 + erlangC(8, 96 / 20) / (8 * 20 - 96));

      expect(solveServiceMs(8, 96, meanMs)).toBeCloseTo(50, 3);
    });

    it('moves load off slow single-worker hosts to a pooled group with room, like the oracle', () => {
      // The oracle plans for no surge; neither does this run.
      // A: 12 hosts × 2 workers at 20/s (scaled out); C: 5 single-worker hosts at 16/s.
      const groups = [
        group('A', 600, 12, queueMinutes(12, 2, 20, 151)),
        group('C', 400, 5, queueMinutes(5, 1, 16, 101 - 60)),
      ];

      const [a] = sharesOf(
        run({ gain: 1, deadband: 0, maxShare: 1, surgeFactor: 1 }, groups, FRESH).weights,
      );

      expect(a).toBeGreaterThan(0.9);
    });
  });

  it('keeps its estimates to four significant digits in the state it hands back', () => {
    const state = run({}, fastAndSlow()).state as {
      groups: Record<
        string,
        { serviceMs: number[]; misfit: number[] | null; hostCapacity: number }
      >;
    };
    const numbers = Object.values(state.groups).flatMap((g) => [
      ...g.serviceMs,
      ...(g.misfit ?? []),
      g.hostCapacity,
    ]);

    expect(numbers.length).toBeGreaterThan(0);
    numbers.forEach((x) => expect(x).toBe(Number(x.toPrecision(4))));
  });

  it('is rejected by the decision step when its gain is above 1, naming the parameter and value', () => {
    const call = () =>
      decide({
        nowMs: NOW_MS,
        actionId: 'web-default',
        loadBalancerType: 'application',
        targetGroups: fastAndSlow(),
        policy: adaptivePolicy,
        parameters: { gain: 2 },
        state: undefined,
        alarms: {},
        guardrails: { minShare: 0.02, maxStepUp: 0.1, deadband: 0.01, minGroupsWithData: 1 },
      });

    expect(call).toThrow(/parameter gain is 2/);
  });
});
