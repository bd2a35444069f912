/**
 * Response-time formulas of the M/M/c queue (Erlang B and C) and of a split of one Poisson stream
 * over several such queues. The oracle and the simulator's agreement test both stand on these.
 */

/** One group as the formulas see it: servers, service rate per server and fast-failure fraction. */
export interface QueueGroup {
  readonly servers: number;
  readonly ratePerServer: number;
  /** Fraction of the group's requests that fail fast without reaching a worker (0–1). */
  readonly errorRate: number;
}

/** Erlang B by the stable recursion B_k = a·B_(k−1) / (k + a·B_(k−1)). */
export function erlangB(servers: number, offeredLoad: number): number {
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return b;
}

/** Erlang C: the probability that an arriving request waits. Requires utilisation < 1. */
export function erlangC(servers: number, offeredLoad: number): number {
  const utilisation = offeredLoad / servers;
  if (utilisation >= 1) return 1;
  const b = erlangB(servers, offeredLoad);
  return b / (1 - utilisation * (1 - b));
}

/**
 * P(T > t) of an M/M/c queue's response time (wait plus service), t in seconds, for arrival rate
 * lambda; Infinity-safe: returns 1 when the queue is unstable.
 */
export function responseTimeTail(servers: number, mu: number, lambda: number, t: number): number {
  const terms = tailTerms(servers, mu, lambda);
  if (terms === undefined) return 1;
  return evaluateTerms(terms, 1, t);
}

/** P(T > t) = a·e^(−μt) + b·e^(−θt) (+ c·t·e^(−μt) when θ = μ), precomputed per group. */
interface TailTerms {
  readonly mu: number;
  readonly theta: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

function tailTerms(servers: number, mu: number, lambda: number): TailTerms | undefined {
  const offered = lambda / mu;
  if (offered >= servers) return undefined;
  const waitProbability = lambda > 0 ? erlangC(servers, offered) : 0;
  const theta = servers * mu - lambda;
  // Near θ = μ the two exponentials cancel; the limit form avoids dividing by almost zero.
  if (Math.abs(theta - mu) < 1e-9 * mu) {
    return { mu, theta, a: 1, b: 0, c: waitProbability * mu };
  }
  const a = 1 - waitProbability + (waitProbability * theta) / (theta - mu);
  const b = (-waitProbability * mu) / (theta - mu);
  return { mu, theta, a, b, c: 0 };
}

function evaluateTerms(terms: TailTerms, scale: number, t: number): number {
  const slow = Math.exp(-terms.mu * t);
  return scale * (terms.a * slow + terms.b * Math.exp(-terms.theta * t) + terms.c * t * slow);
}

/** The q-quantile (seconds) of an M/M/c queue's response time, by bisection on the tail. */
export function responseTimeQuantile(
  servers: number,
  mu: number,
  lambda: number,
  q: number,
): number {
  const terms = tailTerms(servers, mu, lambda);
  if (terms === undefined) return Infinity;
  return solveTail((t) => evaluateTerms(terms, 1, t), 1 - q);
}

/** Fast failures answer in 5 ms; a p99 below that cannot be told apart from them. */
export const FAST_FAILURE_SECONDS = 0.005;

/**
 * The overall p99 (seconds) when a stream of `lambda` requests/s is split by `shares` over the
 * groups; Infinity when a group with traffic would be unstable.
 */
export function splitQuantile(
  groups: readonly QueueGroup[],
  shares: readonly number[],
  lambda: number,
  q = 0.99,
): number {
  const terms: TailTerms[] = [];
  const scales: number[] = [];
  let servedFraction = 0;
  for (let i = 0; i < groups.length; i++) {
    const share = shares[i];
    if (share <= 0) continue;
    const group = groups[i];
    const reaching = share * (1 - group.errorRate);
    const groupTerms = tailTerms(group.servers, group.ratePerServer, reaching * lambda);
    if (groupTerms === undefined) return Infinity;
    terms.push(groupTerms);
    scales.push(reaching);
    servedFraction += reaching;
  }
  if (servedFraction <= 1 - q) return FAST_FAILURE_SECONDS;
  const tail = (t: number): number => {
    let sum = 0;
    for (let i = 0; i < terms.length; i++) sum += evaluateTerms(terms[i], scales[i], t);
    return sum;
  };
  return solveTail(tail, 1 - q);
}

/** Solves tail(t) = target for a decreasing tail by doubling then bisection (relative 1e-6). */
function solveTail(tail: (t: number) => number, target: number): number {
  let low = 0;
  let high = 0.01;
  while (tail(high) > target) {
    low = high;
    high *= 2;
    if (high > 1e6) return Infinity;
  }
  while (high - low > 1e-6 * high) {
    const middle = (low + high) / 2;
    if (tail(middle) > target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}
