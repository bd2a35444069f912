/**
 * The simulation engine: one Poisson stream split by integer weights over FCFS multi-server
 * target groups, CloudWatch minutes that become visible late, and a controller that runs 5 s past
 * every minute. It knows nothing of AWS beyond the contract's observation shape.
 */
import { MinuteObservation, silentMinute, TargetGroupObservation } from '../../lambda/contract';
import {
  createEngine,
  LAMBDA,
  NEXT_ARRIVAL,
  serveUntil,
  TOTAL_WEIGHT,
  ERRORS,
  REQUESTS,
  uniform,
} from './engine';
import { HISTOGRAM_BUCKETS, percentileMs } from './histogram';
import { OracleCache, OracleProblem } from './oracle';
import {
  streamSeed,
  STREAM_ARRIVALS,
  STREAM_FAILURES,
  STREAM_ROUTING,
  STREAM_SERVICE,
} from './random';
import { Scenario } from './scenarios';
export const CONTROLLER_OFFSET_SECONDS = 5;
/** Epoch of simulated minute 0, so observations carry plausible timestamps. */
export const SIMULATION_EPOCH_MS = Date.UTC(2026, 0, 1);

export interface SimulationOptions {
  readonly seed: number;
  /** Seconds after a minute ends before CloudWatch shows it (120 by default). */
  readonly metricDelaySeconds?: number;
  /** Visible minutes the controller reads. */
  readonly windowMinutes?: number;
  readonly serviceDistribution?: 'exponential' | 'lognormal';
  /** Run only the first minutes of the scenario (tests). */
  readonly minutes?: number;
  readonly oracleCache?: OracleCache;
}

/** What a controller knows when it runs: observations, and (for baselines only) the truth. */
export interface ControllerView {
  readonly minute: number;
  readonly nowMs: number;
  /** The groups in the forward action, in order, as the Lambda would read them. */
  readonly targetGroups: readonly TargetGroupObservation[];
  readonly currentWeights: readonly number[];
  /** True parameters now; only baselines may look. */
  readonly truthNow: OracleProblem;
  /** True parameters as of the newest visible minute; only baselines may look. */
  readonly truthDelayed: OracleProblem;
  /** The oracle's shares now (B2's answer). */
  readonly oracleShares: readonly number[];
  /** Weights proportional to each group's starting capacity (B1). */
  readonly startingCapacityWeights: readonly number[];
  /** The oracle, shared with the run's other minutes and runs, for baselines that re-solve. */
  readonly solveOracle: (problem: OracleProblem) => readonly number[];
}

export interface Controller {
  readonly name: string;
  /** Returns the integer weights (0–999, not all zero) to put in force now. */
  run(view: ControllerView): readonly number[];
  /** Anything the controller wants reported at the end, e.g. a canary's phase. */
  finish?(): Record<string, unknown>;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly controller: string;
  readonly seed: number;
  readonly labels: readonly string[];
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  /** p99 over minutes 75–120, the changed regime once settled. */
  readonly settledP99Ms: number;
  /** Overall p99 per minute (null when no request). */
  readonly minuteP99Ms: readonly (number | null)[];
  /** Shares in force during each minute, per group (0 while a group is not in the action). */
  readonly shares: readonly (readonly number[])[];
  readonly oracleShares: readonly (readonly number[])[];
  readonly writes: number;
  /** Sum of half-L1 share changes. */
  readonly movement: number;
  readonly convergenceMinute: number | null;
  /** Canary only: minutes from the canary's first visible minute to its weight reaching 0. */
  readonly rollbackMinutes: number | null;
  readonly hostsPerMinute: readonly (readonly number[])[];
  readonly extra: Record<string, unknown>;
}

interface MinuteRecord {
  requests: number;
  errors: number;
  latencySumMs: number;
  p99Ms: number | null;
  minHosts: number;
}

/** Runs one scenario for one controller and seed. */
export function simulate(
  scenario: Scenario,
  controller: Controller,
  options: SimulationOptions,
): SimulationResult {
  const minutes = options.minutes ?? scenario.minutes;
  const delaySeconds = options.metricDelaySeconds ?? 120;
  const windowMinutes = options.windowMinutes ?? 5;
  const lognormal = options.serviceDistribution === 'lognormal';
  const oracle = options.oracleCache ?? new OracleCache();
  const groups = scenario.groups;
  const n = groups.length;
  const B = HISTOGRAM_BUCKETS;

  // Worker free times and queued start times, per group, sized for the largest fleet.
  const scaleFactor = scenario.autoscaling?.maxFactor ?? 1;
  const maxServers = groups.map((g) => Math.ceil(g.hosts * scaleFactor) * g.workersPerHost);
  const seeds = [STREAM_ARRIVALS, STREAM_ROUTING, STREAM_SERVICE, STREAM_FAILURES].map((p) =>
    streamSeed(options.seed, p),
  );
  const engine = createEngine(maxServers, seeds, lognormal);
  const { servers, ratePerServer: rate, failRate, groupHist } = engine;
  const overallMinuteHist = new Float64Array(minutes * B);
  const {
    minuteRequests,
    minuteErrors,
    minuteLatencySumMs: minuteLatencySum,
    minuteBusySeconds,
  } = engine;

  // Conditions of the current second.
  const hosts = new Int32Array(n);
  const present = new Uint8Array(n);
  const scaledHosts = groups.map((g) => g.hosts);
  const pendingLaunches: { readyAt: number; hosts: number }[][] = groups.map(() => []);
  const scaleOutBreach = new Int32Array(n);
  const scaleInBreach = new Int32Array(n);

  // Weights in force, per scenario group (0 while not in the action).
  const weights = new Float64Array(n);
  const cumulative = engine.cumulativeWeight;
  const minuteMinHosts = new Float64Array(n);
  const records: MinuteRecord[][] = groups.map(() => []);
  const truthByMinute: OracleProblem[] = [];

  const shares: number[][] = [];
  const oracleShares: number[][] = [];
  const hostsPerMinute: number[][] = [];
  let writes = 0;
  let movement = 0;
  let lastOracle: number[] | undefined;
  let firstCanaryMinute: number | null = null;
  let canaryZeroAtSeconds: number | null = null;
  const canaryIndex = scenario.canary
    ? groups.findIndex((g) => g.label === scenario.canary!.canaryLabel)
    : -1;

  const startingCapacity = groups.map((g) => g.hosts * g.workersPerHost * g.ratePerWorker);
  let lambda = 0;

  const setWeights = (next: readonly number[], order: number[]): void => {
    const before = sharesOfWeights();
    const changed = order.some((g, k) => weights[g] !== next[k]);
    if (changed) writes++;
    for (let g = 0; g < n; g++) weights[g] = 0;
    order.forEach((g, k) => (weights[g] = next[k]));
    let totalWeight = 0;
    for (let g = 0; g < n; g++) {
      totalWeight += weights[g];
      cumulative[g] = totalWeight;
    }
    engine.scalars[TOTAL_WEIGHT] = totalWeight;
    const after = sharesOfWeights();
    if (before.some((s) => s > 0)) movement += halfL1(before, after);
  };
  const sharesOfWeights = (): number[] => {
    let total = 0;
    for (let g = 0; g < n; g++) total += weights[g];
    return Array.from(weights, (w) => (total > 0 ? w / total : 0));
  };

  const truthAt = (): OracleProblem => {
    const order = presentOrder();
    return {
      lambda,
      groups: order.map((g) => ({
        servers: servers[g],
        ratePerServer: rate[g],
        errorRate: failRate[g],
      })),
    };
  };
  const presentOrder = (): number[] => {
    const order: number[] = [];
    for (let g = 0; g < n; g++) if (present[g]) order.push(g);
    return order;
  };

  const updateConditions = (second: number): void => {
    lambda = scenario.loadAt(second);
    engine.scalars[LAMBDA] = lambda;
    const minute = Math.floor(second / 60);
    for (let g = 0; g < n; g++) {
      const condition = scenario.conditionAt(g, second);
      const joined = minute >= groups[g].joinMinute;
      if (joined && !present[g]) {
        present[g] = 1;
        const order = presentOrder();
        setWeights(
          order.map((k) => (k === g ? 0 : weights[k])),
          order,
        );
      }
      // With autoscaling, a scenario's host loss applies to the scaled fleet in proportion.
      const scaled = scenario.autoscaling
        ? (scaledHosts[g] * condition.hosts) / groups[g].hosts
        : condition.hosts;
      hosts[g] = joined ? Math.max(0, Math.round(scaled)) : 0;
      servers[g] = Math.min(maxServers[g], hosts[g] * groups[g].workersPerHost);
      rate[g] = condition.ratePerWorker;
      failRate[g] = condition.errorRate;
      if (hosts[g] < minuteMinHosts[g]) minuteMinHosts[g] = hosts[g];
    }
  };

  const finishMinute = (minute: number): void => {
    for (let g = 0; g < n; g++) {
      const count = minuteRequests[g];
      let p99: number | null = null;
      if (count > 0) {
        const hist = groupHist.subarray(g * B, (g + 1) * B);
        p99 = percentileMs(hist, 0.99);
        const overall = minute * B;
        for (let i = 0; i < B; i++) overallMinuteHist[overall + i] += hist[i];
        hist.fill(0);
      }
      records[g].push({
        requests: count,
        errors: minuteErrors[g],
        latencySumMs: minuteLatencySum[g],
        p99Ms: p99,
        minHosts: present[g] ? minuteMinHosts[g] : 0,
      });
      if (g === canaryIndex && count > 0 && firstCanaryMinute === null) firstCanaryMinute = minute;
    }
    if (scenario.autoscaling) autoscale(minute);
    hostsPerMinute.push(Array.from(hosts));
    minuteRequests.fill(0);
    minuteErrors.fill(0);
    minuteLatencySum.fill(0);
    minuteBusySeconds.fill(0);
    for (let g = 0; g < n; g++) minuteMinHosts[g] = Infinity;
  };

  // Target tracking on average busy fraction: a breach must last before hosts launch or go.
  const autoscale = (minute: number): void => {
    const spec = scenario.autoscaling!;
    for (let g = 0; g < n; g++) {
      const capacitySeconds = servers[g] * 60;
      const utilisation = capacitySeconds > 0 ? minuteBusySeconds[g] / capacitySeconds : 1;
      const pending = pendingLaunches[g].reduce((sum, p) => sum + p.hosts, 0);
      const current = scaledHosts[g];
      const maxHosts = Math.ceil(groups[g].hosts * spec.maxFactor);
      const desired = Math.min(
        maxHosts,
        Math.max(groups[g].hosts, Math.ceil((current * utilisation) / spec.targetUtilisation)),
      );
      scaleOutBreach[g] = desired > current + pending ? scaleOutBreach[g] + 1 : 0;
      scaleInBreach[g] = desired < current && pending === 0 ? scaleInBreach[g] + 1 : 0;
      if (scaleOutBreach[g] >= spec.scaleOutMinutes) {
        pendingLaunches[g].push({
          readyAt: minute + 1 + spec.warmupMinutes,
          hosts: desired - current - pending,
        });
        scaleOutBreach[g] = 0;
      }
      if (scaleInBreach[g] >= spec.scaleInMinutes) {
        scaledHosts[g] = desired;
        scaleInBreach[g] = 0;
      }
      const ready = pendingLaunches[g].filter((p) => p.readyAt <= minute + 1);
      pendingLaunches[g] = pendingLaunches[g].filter((p) => p.readyAt > minute + 1);
      for (const launch of ready) scaledHosts[g] += launch.hosts;
    }
  };

  const observe = (second: number): TargetGroupObservation[] => {
    const newestVisible = Math.floor((second - delaySeconds) / 60) - 1;
    return presentOrder().map((g) => {
      const from = Math.max(groups[g].joinMinute, newestVisible - windowMinutes + 1, 0);
      const visible: MinuteObservation[] = [];
      for (let m = from; m <= newestVisible && m < records[g].length; m++) {
        visible.push(minuteObservation(records[g][m], m));
      }
      return {
        targetGroupArn: arnOf(groups[g].label),
        label: groups[g].label,
        currentWeight: weights[g],
        healthyHostCount: hosts[g],
        minutes: visible,
      };
    });
  };

  const runController = (second: number, minute: number): void => {
    const order = presentOrder();
    const truthNow = truthAt();
    const newestVisible = Math.floor((second - delaySeconds) / 60) - 1;
    const truthDelayed = truthByMinute[Math.max(0, newestVisible)] ?? truthNow;
    const oracleNow = oracle.solve(truthNow, lastOracle);
    lastOracle = oracleNow;
    const view: ControllerView = {
      minute,
      nowMs: SIMULATION_EPOCH_MS + second * 1000,
      targetGroups: observe(second),
      currentWeights: order.map((g) => weights[g]),
      truthNow,
      truthDelayed: alignTruth(truthDelayed, truthNow),
      oracleShares: oracleNow,
      startingCapacityWeights: order.map((g) =>
        Math.round((999 * startingCapacity[g]) / Math.max(...startingCapacity)),
      ),
      solveOracle: (problem) => oracle.solve(problem),
    };
    const next = controller.run(view);
    checkWeights(controller.name, next, order.length);
    setWeights(next, order);

    const minuteOracle = new Array<number>(n).fill(0);
    order.forEach((g, k) => (minuteOracle[g] = oracleNow[k]));
    oracleShares.push(minuteOracle);
    shares.push(sharesOfWeights());
    if (
      canaryIndex >= 0 &&
      present[canaryIndex] &&
      canaryZeroAtSeconds === null &&
      firstCanaryMinute !== null
    ) {
      if (weights[canaryIndex] === 0) canaryZeroAtSeconds = second;
    }
  };

  // The starting weights follow starting capacity, as B1's do.
  for (let g = 0; g < n; g++) minuteMinHosts[g] = Infinity;
  updateConditions(0);
  const initialOrder = presentOrder();
  setWeights(
    initialOrder.map((g) =>
      Math.round(
        (999 * startingCapacity[g]) / Math.max(...initialOrder.map((k) => startingCapacity[k])),
      ),
    ),
    initialOrder,
  );
  writes = 0;

  engine.scalars[NEXT_ARRIVAL] = -Math.log(1 - uniform(engine, 0)) / Math.max(lambda, 1e-9);
  const totalSeconds = minutes * 60;
  for (let second = 0; second < totalSeconds; second++) {
    const minute = (second / 60) | 0;
    const secondOfMinute = second - minute * 60;
    if (secondOfMinute === 0 && second > 0) finishMinute(minute - 1);
    updateConditions(second);
    if (secondOfMinute === 30) truthByMinute[minute] = truthAt();
    if (secondOfMinute === CONTROLLER_OFFSET_SECONDS) runController(second, minute);
    serveUntil(engine, second + 1);
  }
  finishMinute(minutes - 1);

  const whole = new Float64Array(B);
  const settled = new Float64Array(B);
  const minuteP99Ms: (number | null)[] = [];
  for (let m = 0; m < minutes; m++) {
    const hist = overallMinuteHist.subarray(m * B, (m + 1) * B);
    minuteP99Ms.push(percentileMs(hist, 0.99));
    for (let i = 0; i < B; i++) whole[i] += hist[i];
    if (m >= 75 && m < 120) for (let i = 0; i < B; i++) settled[i] += hist[i];
  }

  return {
    scenario: scenario.id,
    controller: controller.name,
    seed: options.seed,
    labels: groups.map((g) => g.label),
    requests: engine.scalars[REQUESTS],
    errors: engine.scalars[ERRORS],
    p50Ms: percentileMs(whole, 0.5) ?? 0,
    p99Ms: percentileMs(whole, 0.99) ?? 0,
    p999Ms: percentileMs(whole, 0.999) ?? 0,
    settledP99Ms: percentileMs(settled, 0.99) ?? 0,
    minuteP99Ms,
    shares,
    oracleShares,
    writes,
    movement,
    convergenceMinute: convergence(
      shares,
      oracleShares,
      scenario.changeStartMinute,
      Math.min(scenario.changeEndMinute, minutes),
    ),
    rollbackMinutes:
      firstCanaryMinute !== null && canaryZeroAtSeconds !== null
        ? Math.max(0, (canaryZeroAtSeconds - (60 * (firstCanaryMinute + 1) + delaySeconds)) / 60)
        : null,
    hostsPerMinute,
    extra: controller.finish?.() ?? {},
  };
}

export function arnOf(label: string): string {
  return `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench-${label}/0123456789abcdef`;
}

function minuteObservation(record: MinuteRecord, minute: number): MinuteObservation {
  const startMs = SIMULATION_EPOCH_MS + minute * 60_000;
  if (record.requests === 0) return silentMinute(startMs);
  return {
    startMs,
    noData: false,
    requestCount: record.requests,
    http5xxCount: record.errors,
    latencyAvgMs: record.latencySumMs / record.requests,
    latencyP99Ms: record.p99Ms,
    healthyHostCount: record.minHosts,
    custom: {},
  };
}

/** The delayed truth lists the groups present now; a group that joined since has its true shape. */
function alignTruth(delayed: OracleProblem, now: OracleProblem): OracleProblem {
  if (delayed.groups.length === now.groups.length) return delayed;
  return { lambda: delayed.lambda, groups: now.groups.map((g, k) => delayed.groups[k] ?? g) };
}

function checkWeights(name: string, weights: readonly number[], count: number): void {
  if (weights.length !== count)
    throw new Error(`controller ${name} returned ${weights.length} weights for ${count} groups`);
  weights.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w > 999) {
      throw new Error(
        `controller ${name} returned weights[${i}] = ${w}; a weight must be an integer from 0 to 999`,
      );
    }
  });
  if (!weights.some((w) => w > 0)) throw new Error(`controller ${name} returned all-zero weights`);
}

export function halfL1(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / 2;
}

/** Minutes after the change starts until the split is within 5% of the oracle's for good. */
export function convergence(
  shares: readonly (readonly number[])[],
  oracle: readonly (readonly number[])[],
  startMinute: number,
  endMinute: number,
): number | null {
  let lastOutside = startMinute - 1;
  for (let m = startMinute; m < endMinute && m < shares.length; m++) {
    if (halfL1(shares[m], oracle[m]) > 0.05) lastOutside = m;
  }
  if (lastOutside >= endMinute - 1) return null;
  return lastOutside + 1 - startMinute;
}
