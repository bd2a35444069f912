/**
 * The per-request loop of the simulator, kept apart in flat typed arrays and local integers so
 * that V8 runs it at tens of millions of requests per second; `simulate` drives it second by
 * second. Random numbers come from four inlined mulberry32 streams.
 */
import { HISTOGRAM_BUCKETS, HISTOGRAM_MIN_MS, HISTOGRAM_OFFSET } from './histogram';

export const FAST_FAILURE_MS = 5;
/** A request turned away by a full queue gets its 503 at once; 1 ms stands for "at once". */
export const OVERFLOW_MS = 1;
export const TIMEOUT_MS = 10_000;
export const QUEUE_PER_SERVER = 100;

const INV_2_32 = 1 / 4294967296;
// Local bindings: under Jest every global (Math included) is read through a slow sandbox lookup.
const imul = Math.imul;
const log = Math.log;
const exp = Math.exp;
const sqrt = Math.sqrt;
const cos = Math.cos;
const TWO_PI = 2 * Math.PI;
// Copied into module constants, as imported bindings are property reads in the hot loop.
const MIN_MS = HISTOGRAM_MIN_MS;
const OFFSET = HISTOGRAM_OFFSET;
const BUCKETS = HISTOGRAM_BUCKETS;
// A latency's bucket is read from its float32 bits (see histogram.ts).
const latencyFloat = new Float32Array(1);
const latencyBits = new Uint32Array(latencyFloat.buffer);

export interface Engine {
  readonly groupCount: number;
  /** mulberry32 states: arrivals, routing, service, failures. */
  readonly rng: Int32Array;
  /** [arrival rate per second, next arrival time, total weight, requests, errors]. */
  readonly scalars: Float64Array;
  readonly cumulativeWeight: Float64Array;
  readonly servers: Int32Array;
  readonly ratePerServer: Float64Array;
  readonly failRate: Float64Array;
  readonly freeAt: Float64Array;
  readonly freeOffset: Int32Array;
  readonly queue: Float64Array;
  readonly queueOffset: Int32Array;
  readonly queueCapacity: Int32Array;
  readonly queueHead: Int32Array;
  readonly queueLength: Int32Array;
  /** Latency histogram of each group's current minute, group after group. */
  readonly groupHist: Float64Array;
  readonly minuteRequests: Float64Array;
  readonly minuteErrors: Float64Array;
  readonly minuteLatencySumMs: Float64Array;
  readonly minuteBusySeconds: Float64Array;
  readonly lognormal: boolean;
}

export const LAMBDA = 0;
export const NEXT_ARRIVAL = 1;
export const TOTAL_WEIGHT = 2;
export const REQUESTS = 3;
export const ERRORS = 4;

export function createEngine(
  maxServers: readonly number[],
  seeds: readonly number[],
  lognormal: boolean,
): Engine {
  const n = maxServers.length;
  const freeOffset = new Int32Array(n);
  const queueOffset = new Int32Array(n);
  const queueCapacity = new Int32Array(n);
  let free = 0;
  let queued = 0;
  maxServers.forEach((c, g) => {
    freeOffset[g] = free;
    free += c;
    queueOffset[g] = queued;
    queueCapacity[g] = c * QUEUE_PER_SERVER + 1;
    queued += queueCapacity[g];
  });
  return {
    groupCount: n,
    rng: Int32Array.from(seeds),
    scalars: new Float64Array(5),
    cumulativeWeight: new Float64Array(n),
    servers: new Int32Array(n),
    ratePerServer: new Float64Array(n),
    failRate: new Float64Array(n),
    freeAt: new Float64Array(free),
    freeOffset,
    queue: new Float64Array(queued),
    queueOffset,
    queueCapacity,
    queueHead: new Int32Array(n),
    queueLength: new Int32Array(n),
    groupHist: new Float64Array(n * HISTOGRAM_BUCKETS),
    minuteRequests: new Float64Array(n),
    minuteErrors: new Float64Array(n),
    minuteLatencySumMs: new Float64Array(n),
    minuteBusySeconds: new Float64Array(n),
    lognormal,
  };
}

/** Draws one uniform from stream `k` of the engine (outside the hot loop). */
export function uniform(engine: Engine, k: number): number {
  let a = (engine.rng[k] + 0x6d2b79f5) | 0;
  engine.rng[k] = a;
  let t = Math.imul(a ^ (a >>> 15), a | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  a = (t ^ (t >>> 14)) >>> 0;
  return a * INV_2_32;
}

/**
 * Serves every request that arrives before `end` (seconds), recording into the minute's histograms.
 */
export function serveUntil(e: Engine, end: number): void {
  const n = e.groupCount;
  const B = BUCKETS;
  const s = e.scalars;
  const lambda = s[LAMBDA];
  const totalWeight = s[TOTAL_WEIGHT];
  let t = s[NEXT_ARRIVAL];
  if (t >= end) return;
  let arrivalState = e.rng[0];
  let routeState = e.rng[1];
  let serviceState = e.rng[2];
  let failureState = e.rng[3];
  const cumulative = e.cumulativeWeight;
  const servers = e.servers;
  const rate = e.ratePerServer;
  const failRate = e.failRate;
  const freeAt = e.freeAt;
  const freeOffset = e.freeOffset;
  const queue = e.queue;
  const queueOffset = e.queueOffset;
  const queueCapacity = e.queueCapacity;
  const queueHead = e.queueHead;
  const queueLength = e.queueLength;
  const groupHist = e.groupHist;
  const minuteRequests = e.minuteRequests;
  const minuteErrors = e.minuteErrors;
  const minuteLatency = e.minuteLatencySumMs;
  const minuteBusy = e.minuteBusySeconds;
  const lognormal = e.lognormal;
  let requests = 0;
  let errors = 0;
  let a = 0;
  let x = 0;

  while (t < end) {
    // Routing: pick a group with probability weight / total weight.
    a = routeState = (routeState + 0x6d2b79f5) | 0;
    x = imul(a ^ (a >>> 15), a | 1);
    x ^= x + imul(x ^ (x >>> 7), x | 61);
    const pick = ((x ^ (x >>> 14)) >>> 0) * INV_2_32 * totalWeight;
    let g = 0;
    while (g < n - 1 && cumulative[g] <= pick) g++;

    let latencyMs = 0;
    let failed = false;
    const fail = failRate[g];
    let failDraw = 1;
    if (fail > 0) {
      a = failureState = (failureState + 0x6d2b79f5) | 0;
      x = imul(a ^ (a >>> 15), a | 1);
      x ^= x + imul(x ^ (x >>> 7), x | 61);
      failDraw = ((x ^ (x >>> 14)) >>> 0) * INV_2_32;
    }
    if (failDraw < fail) {
      latencyMs = FAST_FAILURE_MS;
      failed = true;
    } else {
      const c = servers[g];
      const qBase = queueOffset[g];
      const qCap = queueCapacity[g];
      let head = queueHead[g];
      let length = queueLength[g];
      while (length > 0 && queue[qBase + head] <= t) {
        head++;
        if (head === qCap) head = 0;
        length--;
      }
      queueHead[g] = head;
      queueLength[g] = length;
      if (c === 0 || length >= c * QUEUE_PER_SERVER) {
        latencyMs = OVERFLOW_MS;
        failed = true;
      } else {
        const fBase = freeOffset[g];
        let best = fBase;
        let bestFree = freeAt[fBase];
        const fEnd = fBase + c;
        for (let k = fBase + 1; k < fEnd; k++) {
          const f = freeAt[k];
          if (f < bestFree) {
            bestFree = f;
            best = k;
          }
        }
        const start = bestFree > t ? bestFree : t;
        a = serviceState = (serviceState + 0x6d2b79f5) | 0;
        x = imul(a ^ (a >>> 15), a | 1);
        x ^= x + imul(x ^ (x >>> 7), x | 61);
        const u1 = ((x ^ (x >>> 14)) >>> 0) * INV_2_32;
        let service: number;
        if (lognormal) {
          a = serviceState = (serviceState + 0x6d2b79f5) | 0;
          x = imul(a ^ (a >>> 15), a | 1);
          x ^= x + imul(x ^ (x >>> 7), x | 61);
          const u2 = ((x ^ (x >>> 14)) >>> 0) * INV_2_32;
          // Same mean as the exponential: exp(σZ − σ²/2) / μ with σ = 1.
          const z = sqrt(-2 * log(1 - u1)) * cos(TWO_PI * u2);
          service = exp(z - 0.5) / rate[g];
        } else {
          service = -log(1 - u1) / rate[g];
        }
        const finish = start + service;
        freeAt[best] = finish;
        minuteBusy[g] += service;
        if (start > t) {
          let tail = head + length;
          if (tail >= qCap) tail -= qCap;
          queue[qBase + tail] = start;
          queueLength[g] = length + 1;
        }
        latencyMs = (finish - t) * 1000;
        if (latencyMs > TIMEOUT_MS) {
          latencyMs = TIMEOUT_MS;
          failed = true;
        }
      }
    }

    let bucket = 0;
    if (latencyMs > MIN_MS) {
      latencyFloat[0] = latencyMs;
      bucket = (latencyBits[0] >>> 16) - OFFSET;
      if (bucket >= B) bucket = B - 1;
    }
    groupHist[g * B + bucket]++;
    minuteRequests[g]++;
    minuteLatency[g] += latencyMs;
    requests++;
    if (failed) {
      minuteErrors[g]++;
      errors++;
    }

    a = arrivalState = (arrivalState + 0x6d2b79f5) | 0;
    x = imul(a ^ (a >>> 15), a | 1);
    x ^= x + imul(x ^ (x >>> 7), x | 61);
    t -= log(1 - ((x ^ (x >>> 14)) >>> 0) * INV_2_32) / lambda;
  }

  e.rng[0] = arrivalState;
  e.rng[1] = routeState;
  e.rng[2] = serviceState;
  e.rng[3] = failureState;
  s[NEXT_ARRIVAL] = t;
  s[REQUESTS] += requests;
  s[ERRORS] += errors;
}
