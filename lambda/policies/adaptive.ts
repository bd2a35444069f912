/**
 * The adaptive policy: estimates each target group's service time and workers per healthy host
 * from its load, average latency and p99 (the group read as one pooled M/M/c queue of hosts ×
 * workers), smooths them, and steers a damped step toward the split that minimises the p99 those
 * queues imply, with every error counted as a latency penalty.
 *
 * Why not chase latency: the latency a group shows moves when its traffic moves, and the metrics
 * are minutes late, so a controller that chases latency oscillates. Capacity per host barely moves
 * with traffic, so steering toward the split it implies, a fraction `gain` of the way each minute,
 * converges (a loop that corrects K of the error it sees d minutes late is stable for
 * K < 2·sin(π / (2(2d + 1))): 0.618 at d = 2, 0.445 at d = 3).
 */
import * as z from 'zod/mini';
import {
  JsonValue,
  MinuteObservation,
  PolicyDefinition,
  TargetGroupObservation,
} from '../contract';
import { applyMinShare, normalizeOver, sharesOf } from '../guardrails';

export const adaptiveParameters = z.strictObject({
  /**
   * Fraction of the gap to the target split closed per run, lowered further when the metrics'
   * delay makes it unstable (see `stableGain`). Default 0.5.
   */
  gain: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
  /**
   * Weight of the newest minute in the smoothed estimates (0–1]. Bad news (slower service, more
   * errors) is weighted at least 0.8, so it is believed at once. Default 0.5.
   */
  smoothing: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
  /** Latency an error counts as, in ms, so that fast failures never look fast. Default 2000. */
  errorPenaltyMs: z._default(z.number().check(z.gte(0), z.lte(60_000)), 2000),
  /**
   * Largest share any one group is steered to, so a change the delayed metrics cannot show yet
   * (a group slowing down, failing) never hits most of the traffic at once: for the 3 minutes the
   * metrics are blind, 0.6 of the traffic is 1% of three hours' requests. Never below an even
   * split over the groups that work (0.5 with two), and it yields where the other groups have no
   * room for the rest: overloading them now is worse than the risk it spreads. While a group is
   * degraded, `maxShareDuringFault` takes its place. Default 0.6.
   */
  maxShare: z._default(z.number().check(z.gt(0), z.lte(1)), 0.6),
  /**
   * A group whose learned service time is more than this multiple of its fastest over the last two
   * to four hours is degraded: a fault the metrics show. While one is, `maxShareDuringFault`
   * replaces `maxShare`, and its capacity is no room for a surge. A group slow for longer than
   * that is taken as it now is. Default 1.5.
   */
  degradedFactor: z._default(z.number().check(z.gt(1), z.lte(10)), 1.5),
  /**
   * Largest share any one group is steered to while another is degraded. `maxShare` hedges against
   * a fault the metrics cannot show yet and costs p99 every minute it holds traffic on groups the
   * model likes less; during a fault that cost is at its largest, since what the degraded group
   * sheds is held on slower groups, while with autoscaling the fastest working group could scale
   * out to carry nearly all of it (as the benchmark's oracle does). Lifting the cap gives up the
   * hedge: a second fault, in the group now carrying most of the traffic, hits most of it for the
   * minutes the metrics are blind, and the groups it drained have scaled in (`npm run
   * bench:robustness`, U19, measures both settings). Set it to `maxShare` to keep the hedge
   * through a fault. Default 1.
   */
  maxShareDuringFault: z._default(z.number().check(z.gt(0), z.lte(1)), 1),
  /**
   * Highest utilisation the target split plans for any group, leaving room for estimate error.
   * When the working groups together are busier than this, each is planned just above their
   * level (at most 0.98). Default 0.85.
   */
  maxUtilisation: z._default(z.number().check(z.gt(0), z.lte(0.99)), 0.85),
  /**
   * Multiple of the observed load the split must carry without overloading any group, because a
   * jump in load shows in the metrics only 1–3 minutes later. It flattens the split toward
   * capacity proportions: at the default, a flash crowd of 1.6 times the load that arrives while
   * the metrics are blind to it finds every group with room, at a cost of a few percent of p99 at
   * steady load against the split that is best for the load seen. Default 1.6.
   */
  surgeFactor: z._default(z.number().check(z.gte(1), z.lte(5)), 1.6),
  /**
   * Highest utilisation the surge may bring any group to. The surge planned for shrinks to nothing
   * as it nears twice the room the working groups have at this utilisation: when even a balanced
   * fleet could not carry it (capacity was lost), planning for it would only cost p99 now. A load
   * seen rising is planned for in full all the same. Default 0.97, a little below 1 so that the
   * estimates' noise and the deadband's slack do not tip a group past its capacity.
   */
  surgeUtilisation: z._default(z.number().check(z.gt(0), z.lte(1)), 0.97),
  /**
   * A minute whose successful requests took longer than this multiple of the group's learned
   * service time reads as overload (capacity exceeded), not as a failing group, when its error rate
   * is at least `fastCutErrorRate` (requests turned away) or when only a backlog explains its
   * latency at a steady load (97% busy or more under the workers per host believed).
   * Default 3.
   */
  overloadLatencyFactor: z._default(z.number().check(z.gte(1), z.lte(100)), 3),
  /**
   * Error rate above which a group is cut at once to its target instead of stepping. Default
   * 0.05.
   */
  fastCutErrorRate: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
  /**
   * Largest rise of a group's share per run after a cut for errors or overload, so it is restored
   * slowly. Default 0.05.
   */
  restoreStep: z._default(z.number().check(z.gt(0), z.lte(1)), 0.05),
  /** Minutes a group is restored slowly after its last cut. Default 10. */
  restoreMinutes: z._default(z.int().check(z.gte(0), z.lte(120)), 10),
  /**
   * Smallest share of every working group with healthy hosts, so it keeps producing metrics
   * (0–0.2); a failing group gets `failingFloor`. The guardrails' `minShare` applies after it, so
   * the larger of the two holds. Default 0.02.
   */
  floor: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.02),
  /**
   * The smaller floor of a group failing more than `fastCutErrorRate`: enough to see it recover.
   * The policy asks the guardrails to probe such a group, so this holds even below their
   * `minShare`. Default 0.002 (30 requests a minute at 250 requests/s).
   */
  failingFloor: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.002),
  /**
   * No change unless some group's share moves by more than this (0–0.2), unless the current split
   * breaks the plan (a group past `maxUtilisation` or its surge plan). The policy's own deadband:
   * the guardrails' (0.01 by default) applies after it. Default 0.02.
   */
  deadband: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.02),
  /**
   * No change unless the model expects the new split's p99 to beat the current one's by this
   * fraction (0–0.2), unless a group was just cut or the current split breaks a plan the new one
   * keeps to. Default 0.002.
   */
  minImprovement: z._default(z.number().check(z.gte(0), z.lte(0.2)), 0.002),
  /** Minutes with fewer requests than this are too thin to learn from. Default 20. */
  minRequests: z._default(z.int().check(z.gte(1)), 20),
  /**
   * Minutes with fewer requests than this say too little about the tail to judge how many workers
   * a host has from their p99 (about 1% of them make it). Default 1000.
   */
  minTailRequests: z._default(z.int().check(z.gte(1)), 1000),
  /**
   * Weight of the newest minute in each workers-per-host hypothesis's smoothed p99 misfit (0–1]:
   * low, because one minute's p99 rests on a few dozen requests. Default 0.1.
   */
  fitSmoothing: z._default(z.number().check(z.gt(0), z.lte(1)), 0.1),
});
export type AdaptiveParameters = z.infer<typeof adaptiveParameters>;

/**
 * The workers per host the estimator weighs. A host with more workers than the largest serves more
 * than it is credited with: an underestimate, which costs p99 but never overloads.
 */
export const WORKER_HYPOTHESES = [1, 2, 3, 4, 6, 8, 12, 16] as const;

/**
 * The smoothed p99 misfit of the best workers-per-host hypothesis beyond which none is believed:
 * a modelled p99 off by more than 8% on average. Exponential service fits within about 5%.
 */
const POOR_TAIL_FIT = Math.log(1.08) ** 2;

/** Utilisation above which a minute's p99 says nothing about workers per host. */
const SATURATED = 0.85;

/**
 * Utilisation that only a backlog explains: a group whose successful requests took
 * `overloadLatencyFactor` times its service time or longer, and whose minute of steady load reads
 * this busy under the workers believed, had more arriving than it could serve, even with no request
 * turned away. A minute whose load jumped is left out: a flash crowd backs up every group at once,
 * and cutting one would only push its load onto the others.
 */
const BACKLOGGED = 0.97;

/**
 * A group's load moving by more than this fraction from one minute to the next leaves queues that
 * are not the steady state of either load, so that minute teaches no service time.
 */
const UNSTEADY_LOAD_CHANGE = 0.2;

/** The modelled score of a split that loads some group past its planned utilisation, at least. */
const OVERLOADED_SCORE = 1e9;

/** How far past its surge plan a group's load may drift before the deadband stops holding it. */
const SURGE_TOLERANCE = 0.02;

interface GroupEstimate {
  /** Smoothed requests per second one healthy host serves at most (workers / service time). */
  hostCapacity: number;
  /** Smoothed mean service time in ms under each workers-per-host hypothesis. */
  serviceMs: number[];
  /**
   * Smoothed squared log error of the modelled p99 under each hypothesis; null until a minute with
   * enough requests and a p99 was seen.
   */
  misfit: number[] | null;
  /** Index into WORKER_HYPOTHESES of the workers per host believed. */
  workers: number;
  /** Smoothed fraction of requests that fail while the group is not overloaded. */
  errorRate: number;
  /** Start of the newest minute already learned from, so a minute is never counted twice. */
  learnedMs: number;
  /** When the group was last cut for errors or overload. */
  cutMs: number;
  /** Its fastest service times, to tell when it is degraded; unset until a minute is reliable. */
  fastest?: Fastest;
  /** Its live healthy host count at the last run. */
  hosts?: number;
}

/**
 * The lowest smoothed service time per hypothesis in the window since `sinceMs` and in the one
 * before it: windows of FASTEST_WINDOW_MS, so the fastest is that of the last two to four hours.
 */
interface Fastest {
  sinceMs: number;
  recent: number[];
  earlier: number[] | null;
}

/** How long a slower service time is read as a fault before it is the group's new normal. */
const FASTEST_WINDOW_MS = 2 * 60 * 60_000;

/**
 * Requests a minute needs for its service time to count as a group's fastest: the mean of 200
 * exponential service times is within 7% of the true one most of the time, where that of 20 (a
 * group at its floor) is off by a fifth, and the lowest of many such readings would make a group
 * look degraded at its normal speed.
 */
const FASTEST_MIN_REQUESTS = 200;

interface Reading {
  readonly requests: number;
  /** Per hypothesis; NaN where the hypothesis cannot explain the minute. */
  readonly serviceMs: readonly number[];
  /** Squared log error of the modelled p99 per hypothesis, when the minute has a usable p99. */
  readonly misfit?: readonly number[];
  /** Set when overloaded: the capacity per host the minute proves, at most. */
  readonly hostCapacity?: number;
  readonly errorRate: number;
  readonly overloaded: boolean;
}

function readState(state: JsonValue | undefined): Record<string, GroupEstimate> {
  if (
    state &&
    typeof state === 'object' &&
    !Array.isArray(state) &&
    typeof state.groups === 'object'
  ) {
    const stored = state.groups as unknown as Record<string, GroupEstimate>;
    // Estimates stored by an older version (capacity only) are relearned from the next minutes.
    return Object.fromEntries(
      Object.entries(stored).filter(
        ([, e]) => Array.isArray(e?.serviceMs) && e.serviceMs.length === WORKER_HYPOTHESES.length,
      ),
    );
  }
  return {};
}

/** The estimate after one more visible minute. */
function learn(
  estimate: GroupEstimate | undefined,
  seen: Reading,
  p: AdaptiveParameters,
  startMs: number,
  cutAtMs: number | undefined,
  steady = true,
): GroupEstimate {
  if (!estimate) {
    const workers = believedWorkers(seen.misfit ?? null);
    return withCapacity({
      hostCapacity: 0,
      serviceMs: [...seen.serviceMs],
      misfit: seen.misfit ? [...seen.misfit] : null,
      workers,
      errorRate: seen.errorRate,
      learnedMs: startMs,
      cutMs: cutAtMs ?? 0,
    });
  }
  if (seen.overloaded) {
    // Every hypothesis's service time stretches alike: overload says how much, not how many
    // workers.
    const scale = estimate.hostCapacity / seen.hostCapacity!;
    return withCapacity({
      ...estimate,
      serviceMs: estimate.serviceMs.map((ms) => ms * scale),
      learnedMs: startMs,
      cutMs: cutAtMs ?? estimate.cutMs,
    });
  }
  const errorWeight = seen.errorRate > estimate.errorRate ? 1 : p.smoothing;
  const errorRate = estimate.errorRate + errorWeight * (seen.errorRate - estimate.errorRate);
  if (!steady) {
    // Queues a sudden change of load built or drained are no steady state: what the hosts can do
    // is read again once the load holds.
    return { ...estimate, errorRate, learnedMs: startMs, cutMs: cutAtMs ?? estimate.cutMs };
  }
  // Bad news is believed at once, good news is smoothed: service slows and errors rise fast.
  const serviceMs = estimate.serviceMs.map((ms, k) => {
    const weight = seen.serviceMs[k] > ms ? Math.max(p.smoothing, 0.8) : p.smoothing;
    return ms + weight * (seen.serviceMs[k] - ms);
  });
  const misfit = seen.misfit
    ? estimate.misfit
      ? estimate.misfit.map((m, k) => m + p.fitSmoothing * (seen.misfit![k] - m))
      : [...seen.misfit]
    : estimate.misfit;
  return withCapacity({
    ...estimate,
    serviceMs,
    misfit,
    workers: believedWorkers(misfit),
    errorRate,
    learnedMs: startMs,
    cutMs: cutAtMs ?? estimate.cutMs,
  });
}

/**
 * The estimate with its fastest service times brought up to date after learning from the minute
 * starting at `startMs`: a new window starts every FASTEST_WINDOW_MS, reliable or not, so a group
 * that stays slow is read as degraded for two to four hours at most.
 */
function rememberFastest(
  estimate: GroupEstimate,
  startMs: number,
  reliable: boolean,
): GroupEstimate {
  const f = estimate.fastest;
  if (!f) {
    return reliable
      ? {
          ...estimate,
          fastest: { sinceMs: startMs, recent: [...estimate.serviceMs], earlier: null },
        }
      : estimate;
  }
  if (startMs - f.sinceMs >= FASTEST_WINDOW_MS) {
    const fastest = { sinceMs: startMs, recent: [...estimate.serviceMs], earlier: f.recent };
    return { ...estimate, fastest };
  }
  if (!reliable) return estimate;
  const recent = f.recent.map((ms, k) => Math.min(ms, estimate.serviceMs[k]));
  return { ...estimate, fastest: { ...f, recent } };
}

/** Whether the group serves more than `degradedFactor` times slower than its fastest. */
function isDegraded(estimate: GroupEstimate, p: AdaptiveParameters): boolean {
  const f = estimate.fastest;
  if (!f) return false;
  const w = estimate.workers;
  const fastest = Math.min(f.recent[w], f.earlier?.[w] ?? Infinity);
  return estimate.serviceMs[w] > p.degradedFactor * fastest;
}

/**
 * An estimate as kept between runs: four significant digits, far finer than the estimates' own
 * noise, halve the size of the state, which all of a controller's actions share in one SSM
 * parameter of at most 8 KB.
 */
function stored(estimate: GroupEstimate): GroupEstimate {
  const round = (x: number) => Number(x.toPrecision(4));
  const f = estimate.fastest;
  return {
    ...estimate,
    hostCapacity: round(estimate.hostCapacity),
    serviceMs: estimate.serviceMs.map(round),
    misfit: estimate.misfit?.map(round) ?? null,
    errorRate: round(estimate.errorRate),
    fastest: f && { ...f, recent: f.recent.map(round), earlier: f.earlier?.map(round) ?? null },
  };
}

function withCapacity(estimate: GroupEstimate): GroupEstimate {
  const w = estimate.workers;
  return { ...estimate, hostCapacity: (1000 * WORKER_HYPOTHESES[w]) / estimate.serviceMs[w] };
}

/**
 * The start times of visible minutes whose latency cannot be read as the steady state of their
 * load: the load over the groups seen in both moved by more than UNSTEADY_LOAD_CHANGE from the
 * minute before. The whole load, not one group's, since the controller's own steps move a group's
 * load too, and those queues settle within seconds.
 */
function unsteadyMinutes(targetGroups: readonly TargetGroupObservation[]): Set<number> {
  const starts = new Set(targetGroups.flatMap((g) => g.minutes.map((m) => m.startMs)));
  const unsteady = new Set<number>();
  for (const start of starts) {
    const growth = loadGrowth(targetGroups, start);
    if (growth !== undefined && Math.abs(Math.log(growth)) > Math.log(1 + UNSTEADY_LOAD_CHANGE))
      unsteady.add(start);
  }
  return unsteady;
}

/**
 * How the load into the minute starting at `startMs` compares with the minute before, over the
 * groups with requests in both; undefined when no group has.
 */
function loadGrowth(
  targetGroups: readonly TargetGroupObservation[],
  startMs: number,
): number | undefined {
  let now = 0;
  let before = 0;
  for (const g of targetGroups) {
    const count = (at: number) => {
      const m = g.minutes.find((x) => x.startMs === at);
      return m && !m.noData && m.requestCount ? m.requestCount : 0;
    };
    const a = count(startMs - 60_000);
    const b = count(startMs);
    if (a > 0 && b > 0) {
      before += a;
      now += b;
    }
  }
  return before > 0 ? now / before : undefined;
}

/** What one visible minute says about a group, or undefined when it is too thin. */
function read(
  minute: MinuteObservation,
  hosts: number,
  known: GroupEstimate | undefined,
  p: AdaptiveParameters,
  steady: boolean,
): Reading | undefined {
  const requests = minute.requestCount;
  if (
    minute.noData ||
    requests === null ||
    requests < p.minRequests ||
    minute.latencyAvgMs === null
  )
    return undefined;
  const errors = Math.min(requests, minute.http5xxCount ?? 0);
  const errorRate = errors / requests;
  // Errors answer fast; what the successful requests took says how busy the hosts are.
  const okLatencyMs =
    errorRate < 1
      ? Math.max(0.1, (minute.latencyAvgMs - errorRate * 5) / (1 - errorRate))
      : minute.latencyAvgMs;
  const hostCount = Math.max(1, minute.healthyHostCount ?? hosts);
  const serviceMs = known ? known.serviceMs[known.workers] : Infinity;
  // The group as one M/M/c queue of hosts × workers: under each hypothesis, the service time that
  // makes its mean response time the one observed; the p99 then tells the hypotheses apart.
  const lambda = (requests - errors) / 60;
  const service = WORKER_HYPOTHESES.map((w) => solveServiceMs(hostCount * w, lambda, okLatencyMs));
  const believed = known?.workers ?? 0;
  const utilisation =
    (lambda * service[believed]) / 1000 / (hostCount * WORKER_HYPOTHESES[believed]);
  if (
    okLatencyMs > p.overloadLatencyFactor * serviceMs &&
    (errorRate >= p.fastCutErrorRate || (steady && utilisation >= BACKLOGGED))
  ) {
    // Overloaded: the hosts were busy all minute, so what they served is the best guess of their
    // capacity (low when requests that timed out were served too, high in the minute the queues
    // filled). Crediting more would keep the group overloaded for good once the split plans it
    // close to capacity, as it does when the whole fleet is busy.
    const servedWell = (requests - errors) / 60 / hostCount;
    return {
      requests,
      serviceMs: [],
      hostCapacity: Math.max(servedWell, known!.hostCapacity * 0.3),
      errorRate: 0,
      overloaded: true,
    };
  }
  const p99 = minute.latencyP99Ms;
  const tailFraction = errorRate < 0.5 ? 0.01 / (1 - errorRate) : undefined;
  // Near saturation every hypothesis reads as "capacity = throughput": the tail tells them apart
  // no longer, and the backlog of a sudden loss of hosts would only blur the misfit.
  const misfit =
    p99 !== null &&
    p99 > 0 &&
    requests >= p.minTailRequests &&
    tailFraction !== undefined &&
    utilisation <= SATURATED
      ? service.map((ms, k) => {
          const modelled = groupQuantile(
            hostCount * WORKER_HYPOTHESES[k],
            1000 / ms,
            lambda,
            tailFraction,
          );
          return Number.isFinite(modelled) ? Math.log(modelled / p99) ** 2 : 1;
        })
      : undefined;
  return { requests, serviceMs: service, misfit, errorRate, overloaded: false };
}

/**
 * The mean service time (ms) that gives `servers` pooled workers a mean response time of
 * `latencyMs` at `lambda` requests/s; near saturation when even that wait is too short.
 */
export function solveServiceMs(servers: number, lambda: number, latencyMs: number): number {
  let low = 0;
  let high = Math.min(latencyMs, lambda > 0 ? (1000 * servers) / lambda : latencyMs);
  for (let k = 0; k < 50; k++) {
    const middle = (low + high) / 2;
    if (meanResponseMs(servers, lambda, middle) < latencyMs) low = middle;
    else high = middle;
  }
  return Math.max(0.1, (low + high) / 2);
}

function meanResponseMs(servers: number, lambda: number, serviceMs: number): number {
  const offered = (lambda * serviceMs) / 1000;
  if (offered >= servers) return Infinity;
  return serviceMs + (erlangC(servers, offered) * serviceMs) / (servers - offered);
}

/** Erlang C by the Erlang B recursion: the probability that a request waits for a worker. */
export function erlangC(servers: number, offered: number): number {
  if (offered <= 0) return 0;
  const utilisation = offered / servers;
  if (utilisation >= 1) return 1;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offered * b) / (k + offered * b);
  return b / (1 - utilisation * (1 - b));
}

/**
 * P(T > t) of an M/M/c response time as a·e^(−μt) + b·e^(−θt) (+ c·t·e^(−μt) when θ = μ), per
 * second; undefined when the queue is unstable.
 */
function tailTerms(
  servers: number,
  mu: number,
  lambda: number,
): { mu: number; theta: number; a: number; b: number; c: number } | undefined {
  const offered = lambda / mu;
  if (offered >= servers) return undefined;
  const wait = erlangC(servers, offered);
  const theta = servers * mu - lambda;
  if (Math.abs(theta - mu) < 1e-9 * mu) return { mu, theta, a: 1, b: 0, c: wait * mu };
  return {
    mu,
    theta,
    a: 1 - wait + (wait * theta) / (theta - mu),
    b: (-wait * mu) / (theta - mu),
    c: 0,
  };
}

/** The response time (ms) that a `fraction` of a pooled M/M/c queue's requests exceed. */
function groupQuantile(servers: number, mu: number, lambda: number, fraction: number): number {
  const terms = tailTerms(servers, mu, lambda);
  if (!terms) return Infinity;
  const tail = (t: number) =>
    terms.a * Math.exp(-terms.mu * t) +
    terms.b * Math.exp(-terms.theta * t) +
    terms.c * t * Math.exp(-terms.mu * t);
  let low = 0;
  let high = 0.01;
  while (tail(high) > fraction && high < 1e5) high *= 2;
  for (let k = 0; k < 40; k++) {
    const middle = (low + high) / 2;
    if (tail(middle) > fraction) low = middle;
    else high = middle;
  }
  return high * 1000;
}

/**
 * The workers-per-host hypothesis to believe: the fewest workers whose p99 misfit is close to the
 * best one's, since hypotheses of ample workers all look alike while waits are short, and the
 * fewest is the one that never overestimates capacity.
 */
function believedWorkers(misfit: readonly number[] | null): number {
  if (!misfit) return 0;
  const best = Math.min(...misfit);
  // No hypothesis explains the tail (service times far from exponential, e.g. long-tailed): the
  // ones with ample workers then fit least badly only because they put the whole tail into service
  // time, and believing them overestimates capacity. The fewest workers never does.
  if (best > POOR_TAIL_FIT) return 0;
  return misfit.findIndex((m) => m <= 1.25 * best + 0.0002);
}

export const adaptivePolicy: PolicyDefinition<AdaptiveParameters> = {
  name: 'adaptive',
  parameters: adaptiveParameters,
  decide: ({ targetGroups, parameters: p, state, nowMs }) => {
    const previous = readState(state);
    const groups: Record<string, GroupEstimate> = {};
    const cut: boolean[] = [];
    const load = newestLoad(targetGroups);
    const totalRequestsPerSecond = load.perSecond;
    const unsteady = unsteadyMinutes(targetGroups);

    targetGroups.forEach((g) => {
      let estimate: GroupEstimate | undefined = previous[g.targetGroupArn]
        ? { ...previous[g.targetGroupArn] }
        : undefined;
      let cutNow = false;
      g.minutes.forEach((minute) => {
        if (estimate && minute.startMs <= estimate.learnedMs) return;
        const steady = !unsteady.has(minute.startMs);
        const seen = read(minute, g.healthyHostCount, estimate, p, steady);
        if (!seen) return;
        // A minute that began before the last cut shows the old weights: the cut already answered
        // it.
        if (estimate && seen.overloaded && minute.startMs < estimate.cutMs) {
          estimate.learnedMs = minute.startMs;
          return;
        }
        cutNow = seen.overloaded || seen.errorRate >= p.fastCutErrorRate;
        estimate = learn(estimate, seen, p, minute.startMs, cutNow ? nowMs : undefined, steady);
        const reliable = steady && !seen.overloaded && seen.requests >= FASTEST_MIN_REQUESTS;
        estimate = rememberFastest(estimate, minute.startMs, reliable);
      });
      if (estimate) groups[g.targetGroupArn] = { ...estimate, hosts: g.healthyHostCount };
      cut.push(cutNow);
    });

    const known = targetGroups.map((g) => groups[g.targetGroupArn]);
    const nextState = {
      groups: Object.fromEntries(Object.entries(groups).map(([arn, e]) => [arn, stored(e)])),
    } as unknown as JsonValue;
    if (!known.some(Boolean) || totalRequestsPerSecond <= 0) {
      // Without traffic data (an NLB, or no visible minute yet) healthy hosts are all there is to
      // go on.
      const hosts = targetGroups.map((g) => g.healthyHostCount);
      if (!hosts.some((h) => h > 0)) {
        return {
          weights: targetGroups.map((g) => g.currentWeight),
          reason: 'no group has a healthy host',
          state: nextState,
          hold: true,
        };
      }
      return {
        weights: hosts,
        reason: 'no load and latency to learn from: weights follow healthy hosts',
        state: nextState,
      };
    }

    // Groups cut for errors or overload in the last restoreMinutes: restored slowly.
    const restoring = known.map(
      (k) => k !== undefined && nowMs - k.cutMs < p.restoreMinutes * 60_000,
    );
    const rising = risingLoadFactor(
      load.growth,
      metricDelayMinutes(targetGroups, nowMs) ?? 0,
      p.surgeFactor,
    );
    const splitFor = (groupsNow: readonly TargetGroupObservation[]) =>
      targetSplit(groupsNow, known, totalRequestsPerSecond, rising, restoring, p);
    const { shares: target, breaks, overPlanned, modelledP99 } = splitFor(targetGroups);
    // The split the hosts of the last run implied: how far the target moved because healthy hosts
    // came or went, which the policy sees live, not minutes late, so that part is no feedback to
    // damp and is followed at once.
    const hostsBefore = targetGroups.map((g) => previous[g.targetGroupArn]?.hosts);
    const targetBefore = targetGroups.some(
      (g, i) => hostsBefore[i] !== undefined && hostsBefore[i] !== g.healthyHostCount,
    )
      ? splitFor(
          targetGroups.map((g, i) => ({
            ...g,
            healthyHostCount: hostsBefore[i] ?? g.healthyHostCount,
          })),
        ).shares
      : target;
    const gain = Math.min(p.gain, stableGain(targetGroups, nowMs));
    const current = sharesOf(targetGroups.map((g) => g.currentWeight));
    const toward = (i: number) =>
      Math.max(0, current[i] + gain * (targetBefore[i] - current[i]) + target[i] - targetBefore[i]);
    const overloaded = overPlanned(current);
    const fixed = current.map((c, i) => {
      if (target[i] < c && cut[i]) return target[i];
      // A group being restored after a cut that is still loaded past the utilisation planned steps
      // down by more than the deadband (or to its target, when closer): smaller steps could hold it
      // there, overloaded, for good. Groups merely near the plan step as usual, so noise cannot
      // rock them.
      if (target[i] < c && overloaded[i] && restoring[i]) {
        return Math.max(target[i], Math.min(toward(i), c - 1.5 * p.deadband));
      }
      const step = toward(i);
      return restoring[i] && step > c + p.restoreStep ? c + p.restoreStep : undefined;
    });
    const stepped = current.map((_, i) => (fixed[i] === undefined ? toward(i) : 0));
    // Cut and slowly restored groups land exactly where they must; the others share the rest.
    const fixedTotal = fixed.reduce<number>((s, f) => s + (f ?? 0), 0);
    const scaled = sharesOf(stepped).map((r, i) => fixed[i] ?? r * (1 - fixedTotal));
    // Share freed by a cut goes first where the target wants more, not past any group's target.
    const next = withinTargets(
      scaled,
      current.map((c, i) => (fixed[i] === undefined ? Math.max(c, target[i]) : scaled[i])),
    );
    const failing = known.map((k) => k !== undefined && k.errorRate >= p.fastCutErrorRate);
    const failingFloor = failingFloorAt(p, totalRequestsPerSecond);
    const floors = failing.map((f) => (f ? failingFloor : p.floor));
    // Failing groups are probed: kept at their small floor even below the guardrails' minShare.
    const probe = targetGroups.filter((_, i) => failing[i]).map((g) => g.targetGroupArn);
    const weights = withFloor(next, targetGroups, floors);
    const largestMove = Math.max(...weights.map((w, i) => Math.abs(w - current[i])));
    const split = targetGroups.map((g, i) => `${g.label} ${target[i].toFixed(2)}`).join(', ');
    // The deadband holds a small move, never one off a split that breaks a plan (a group past
    // maxUtilisation, or past its surge plan) the target split keeps to.
    const [currentBreaks, targetBreaks] = [breaks(current), breaks(target)];
    const holdable =
      !(currentBreaks.utilisation && !targetBreaks.utilisation) &&
      !(currentBreaks.surge && !targetBreaks.surge);
    // A move the model expects almost nothing from is not worth a write: groups that look alike
    // would otherwise trade traffic on every wobble of their estimates.
    const improvement = 1 - modelledP99(weights) / modelledP99(current);
    // A cut is never held: a group failing at a share within the deadband of its floor would
    // otherwise keep it for as long as it fails.
    const cutting = cut.some((c, i) => c && current[i] - weights[i] > 0.001);
    const small = !cutting && (largestMove <= p.deadband || improvement < p.minImprovement);
    if (small && holdable && current.some((c) => c > 0)) {
      return {
        weights: current,
        reason: `within the deadband of the capacity split (${split})`,
        state: nextState,
        probe,
      };
    }
    return {
      weights,
      reason: `stepping ${gain.toFixed(2)} of the way to the capacity split ${split}`,
      state: nextState,
      probe,
    };
  },
};

/**
 * The share a failing group is kept at: `failingFloor`, or more at low load, since the group must
 * still get 1.5 × `minRequests` a minute to be read, or it could never be seen to recover; never
 * more than `floor`.
 */
export function failingFloorAt(p: AdaptiveParameters, requestsPerSecond: number): number {
  const measurable = (1.5 * p.minRequests) / (60 * requestsPerSecond);
  return Math.min(p.floor, Math.max(p.failingFloor, measurable));
}

/**
 * 90% of the largest gain that is stable at the delay the metrics show: a loop correcting K of an
 * error it sees d minutes late is stable for K < 2·sin(π / (2(2d + 1))).
 */
export function stableGain(targetGroups: readonly TargetGroupObservation[], nowMs: number): number {
  const delayMinutes = metricDelayMinutes(targetGroups, nowMs);
  if (delayMinutes === undefined) return 1;
  return 0.9 * 2 * Math.sin(Math.PI / (2 * (2 * delayMinutes + 1)));
}

/** Minutes from the end of the newest visible minute to now; undefined with no minute visible. */
function metricDelayMinutes(
  targetGroups: readonly TargetGroupObservation[],
  nowMs: number,
): number | undefined {
  const newestStartMs = Math.max(...targetGroups.flatMap((g) => g.minutes.map((m) => m.startMs)));
  if (!Number.isFinite(newestStartMs)) return undefined;
  return Math.max(0, (nowMs - newestStartMs - 60_000) / 60_000);
}

/**
 * Requests per second over all groups in the newest visible minute, and how much the load grew
 * into it from the minute before over the groups seen in both (1 when it did not grow, or there
 * is no minute before).
 */
function newestLoad(targetGroups: readonly TargetGroupObservation[]): {
  perSecond: number;
  growth: number;
} {
  const byMinute = new Map<number, number>();
  for (const g of targetGroups) {
    for (const m of g.minutes)
      byMinute.set(m.startMs, (byMinute.get(m.startMs) ?? 0) + (m.requestCount ?? 0));
  }
  const newest = Math.max(...byMinute.keys());
  if (!Number.isFinite(newest)) return { perSecond: 0, growth: 1 };
  const growth = loadGrowth(targetGroups, newest) ?? 1;
  return { perSecond: byMinute.get(newest)! / 60, growth: Math.max(1, growth) };
}

/**
 * The load to plan for beside the one seen: a load that grew into the newest visible minute is
 * assumed to go on growing as fast for the minutes the metrics are late and the minute until the
 * next run, up to `surgeFactor` times what was seen.
 */
export function risingLoadFactor(
  growth: number,
  delayMinutes: number,
  surgeFactor: number,
): number {
  return Math.min(surgeFactor, growth ** (delayMinutes + 1));
}

/**
 * The split that minimises the modelled p99: group i is one pooled M/M/c queue of h_i hosts of
 * capacity K_i, each request taking its learned service time on average; its errors sit at the
 * penalty. Found by pairwise transfers of shrinking size.
 */
function targetSplit(
  targetGroups: readonly TargetGroupObservation[],
  known: readonly (GroupEstimate | undefined)[],
  lambda: number,
  risingFactor: number,
  restoring: readonly boolean[],
  p: AdaptiveParameters,
): {
  shares: number[];
  breaks: (shares: readonly number[]) => { utilisation: boolean; surge: boolean };
  /** Per group: whether the split loads it past the utilisation planned. */
  overPlanned: (shares: readonly number[]) => boolean[];
  modelledP99: (shares: readonly number[]) => number;
} {
  const measured = known.filter((k): k is GroupEstimate => k !== undefined);
  // A group not yet measured is assumed typical until its own minutes arrive.
  const typical = measured.reduce((s, k) => s + k.hostCapacity, 0) / measured.length;
  const capacity = known.map((k) => k?.hostCapacity ?? typical);
  const typicalServiceMs =
    measured.reduce((s, k) => s + k.serviceMs[k.workers], 0) / measured.length;
  const serviceMs = known.map((k) => (k ? k.serviceMs[k.workers] : typicalServiceMs));
  const errors = known.map((k) => k?.errorRate ?? 0);
  const hosts = targetGroups.map((g) => g.healthyHostCount);
  const live = hosts.map((h) => h > 0);
  // When the working groups together are busier than maxUtilisation, plan each just above their
  // level.
  const isWorking = live.map((l, i) => l && errors[i] < p.fastCutErrorRate);
  const workingCapacity = capacity.reduce((s, k, i) => s + (isWorking[i] ? k * hosts[i] : 0), 0);
  const degraded = known.map((k) => k !== undefined && isDegraded(k, p));
  const fleetUtilisation = workingCapacity > 0 ? lambda / workingCapacity : 1;
  // Once the working groups cannot carry the load even 98% busy, failing groups take the rest
  // and errors are certain: the working groups are then planned down to 90% (as the oracle plans)
  // as that excess grows, since a few percent of estimate error would otherwise leave them
  // overloaded, not busy. Short of that, errors are avoided first.
  const absorbs = live.some((l, i) => l && !isWorking[i]);
  const excess = Math.min(1, Math.max(0, (fleetUtilisation - 0.98) / 0.08));
  const ceiling = absorbs ? 0.98 - 0.08 * excess : 0.98;
  const fleetPlanned = Math.max(p.maxUtilisation, Math.min(ceiling, fleetUtilisation * 1.05));
  // A group being restored after a cut (for overload or errors) is planned no busier than
  // maxUtilisation even then, so the backlog an overload left drains.
  const planned = restoring.map((r) =>
    r ? Math.min(fleetPlanned, p.maxUtilisation) : fleetPlanned,
  );
  const surge = (p.surgeFactor - 1) * lambda;
  // A degraded group's capacity is no room for a surge: it is capacity the fleet is losing.
  const undegradedCapacity = capacity.reduce(
    (s, k, i) => s + (isWorking[i] && !degraded[i] ? k * hosts[i] : 0),
    0,
  );
  const room = p.surgeUtilisation * undegradedCapacity - lambda;
  // A surge the fleet has little room for is planned for less, since a loss of capacity is no
  // surge; a load seen rising is planned for in full, as it is likely still rising now.
  const surgeLambda = Math.max(
    lambda + Math.max(0, Math.min(surge, 2 * room - surge)),
    lambda * risingFactor,
  );
  // The cap spreads risk over groups that work; it must never push traffic into failing ones.
  const working = isWorking.filter(Boolean).length;
  const cap = degraded.some(Boolean) ? p.maxShareDuringFault : p.maxShare;
  const maxShare = Math.max(cap, 1 / Math.max(1, working));
  const p99 = (shares: readonly number[]) =>
    modelQuantile(
      shares,
      capacity,
      serviceMs,
      errors,
      hosts,
      lambda,
      planned,
      p.errorPenaltyMs,
      { lambda: surgeLambda, utilisation: p.surgeUtilisation },
      maxShare,
    );

  // Pairwise transfers, coarse to fine, from capacity proportions over the groups that may take
  // traffic.
  const search = (takes: readonly boolean[]) => {
    let shares = capShares(
      sharesOf(capacity.map((k, i) => (takes[i] ? k * hosts[i] : 0))),
      maxShare,
    );
    let best = p99(shares);
    for (const step of [0.05, 0.02, 0.005]) {
      for (let round = 0; round < 200; round++) {
        let improved = false;
        for (let from = 0; from < shares.length; from++) {
          for (let to = 0; to < shares.length; to++) {
            if (from === to || !takes[to] || shares[from] < step) continue;
            const trial = [...shares];
            trial[from] -= step;
            trial[to] += step;
            const value = p99(trial);
            if (value < best - 1e-9) {
              shares = trial;
              best = value;
              improved = true;
            }
          }
        }
        if (!improved) break;
      }
    }
    return { shares, overloaded: best >= OVERLOADED_SCORE };
  };
  // Failing groups take traffic only where the working ones have no room for it: errors certain
  // now are never traded for room for a surge not seen yet.
  const withoutFailing = working > 0 ? search(isWorking) : undefined;
  const { shares } = withoutFailing && !withoutFailing.overloaded ? withoutFailing : search(live);
  // Which plans a split breaks: a group past the planned utilisation, or past its surge plan.
  const utilisationsOf = (split: readonly number[]) =>
    split.map((s, i) =>
      live[i] ? (s * lambda * (1 - errors[i])) / Math.max(1, hosts[i]) / capacity[i] : 0,
    );
  const overPlanned = (split: readonly number[]) =>
    utilisationsOf(split).map((u, i) => u > planned[i] + 1e-9);
  const breaks = (split: readonly number[]) => {
    const utilisations = utilisationsOf(split);
    return {
      utilisation: overPlanned(split).some(Boolean),
      surge: utilisations.some(
        (u) => (u * surgeLambda) / lambda > p.surgeUtilisation + SURGE_TOLERANCE,
      ),
    };
  };
  return { shares, breaks, overPlanned, modelledP99: p99 };
}

/** Moves share above `maxShare` to the other groups in proportion to theirs. */
function capShares(shares: readonly number[], maxShare: number): number[] {
  let result = [...shares];
  for (let pass = 0; pass < result.length; pass++) {
    const excess = result.reduce((s, v) => s + Math.max(0, v - maxShare), 0);
    if (excess <= 1e-12) break;
    const room = result.reduce((s, v) => s + (v < maxShare ? v : 0), 0);
    result = result.map((v) => (v >= maxShare ? maxShare : room > 0 ? v + (excess * v) / room : v));
  }
  return result;
}

/**
 * Modelled p99 in ms; a split that loads a group past `maxUtilisation` scores worse the further.
 */
function modelQuantile(
  shares: readonly number[],
  capacity: readonly number[],
  serviceMs: readonly number[],
  errors: readonly number[],
  hosts: readonly number[],
  lambda: number,
  planned: readonly number[],
  errorPenaltyMs: number,
  surge: { readonly lambda: number; readonly utilisation: number },
  maxShare: number,
): number {
  const terms: NonNullable<ReturnType<typeof tailTerms>>[] = [];
  const mass: number[] = [];
  let errorMass = 0;
  let overload = 0;
  let surgeOverload = 0;
  for (let i = 0; i < shares.length; i++) {
    if (shares[i] <= 0) continue;
    const groupHosts = Math.max(1, hosts[i]);
    const arrivals = shares[i] * lambda * (1 - errors[i]);
    const utilisation = arrivals / groupHosts / capacity[i];
    if (utilisation > planned[i]) overload += utilisation - planned[i];
    // Squared, so that a surge no split carries is spread evenly rather than piled on one group.
    const surgeExcess = (utilisation * surge.lambda) / lambda - surge.utilisation;
    if (surgeExcess > 0) surgeOverload += surgeExcess ** 2;
    const mu = 1000 / serviceMs[i];
    const servers = Math.max(1, Math.round((capacity[i] * groupHosts) / mu));
    const groupTerms = tailTerms(servers, mu, Math.min(arrivals, servers * mu * planned[i]));
    if (!groupTerms) return 1e9 * 2;
    terms.push(groupTerms);
    mass.push(shares[i] * (1 - errors[i]));
    errorMass += shares[i] * errors[i];
  }
  // The plans rank: no group past its planned utilisation (load seen now), then no group past
  // maxShare, then room for a surge (risks not seen yet), then p99. The cap spreads risk, so it
  // yields to a group that would otherwise be overloaded: with two groups, or capacity lost, the
  // other groups may not have room for the share past it.
  if (overload > 0) return OVERLOADED_SCORE * (1 + overload);
  const capExcess = shares.reduce((s, v) => s + Math.max(0, v - maxShare - 1e-9), 0);
  if (capExcess > 0) return 4e8 * (1 + capExcess);
  if (surgeOverload > 0) return 1e8 * (1 + surgeOverload);
  if (errorMass >= 0.01) return errorPenaltyMs * (1 + errorMass);
  const tail = (t: number) =>
    terms.reduce(
      (s, x, k) =>
        s +
        mass[k] *
          (x.a * Math.exp(-x.mu * t) +
            x.b * Math.exp(-x.theta * t) +
            x.c * t * Math.exp(-x.mu * t)),
      0,
    );
  let low = 0;
  let high = 1;
  while (tail(high) > 0.01 - errorMass && high < 1e7) high *= 2;
  for (let k = 0; k < 40; k++) {
    const middle = (low + high) / 2;
    if (tail(middle) > 0.01 - errorMass) low = middle;
    else high = middle;
  }
  return high * 1000;
}

/** Moves share above each group's bound to the groups below theirs, in proportion to their room. */
function withinTargets(shares: readonly number[], bounds: readonly number[]): number[] {
  const excess = shares.reduce((s, v, i) => s + Math.max(0, v - bounds[i]), 0);
  const room = shares.reduce((s, v, i) => s + Math.max(0, bounds[i] - v), 0);
  if (excess <= 1e-12 || room <= excess) return [...shares];
  return shares.map((v, i) =>
    v > bounds[i] ? bounds[i] : v + (excess * Math.max(0, bounds[i] - v)) / room,
  );
}

/** Lifts every group with healthy hosts to its floor, taking it from the others in proportion. */
function withFloor(
  shares: readonly number[],
  groups: readonly TargetGroupObservation[],
  floors: readonly number[],
): number[] {
  const live = groups.map((g) => g.healthyHostCount > 0);
  return applyMinShare(normalizeOver(shares, live), live, floors);
}
