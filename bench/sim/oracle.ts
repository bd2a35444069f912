/**
 * The oracle split: given the true parameters, the shares that first minimise the expected error
 * rate (every group at most 90% busy) and then minimise the overall p99 by pairwise transfers.
 */
import { QueueGroup, splitQuantile } from './erlang';

/** Every group keeps this share so that it stays observable. */
export const ORACLE_FLOOR = 0.01;
const MAX_PHASE_ONE_UTILISATION = 0.9;
const MAX_UTILISATION = 0.995;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

export interface OracleProblem {
  readonly groups: readonly QueueGroup[];
  /** Total arrival rate, requests per second. */
  readonly lambda: number;
}

/** The highest share group i can take at the given utilisation cap. */
function shareCap(group: QueueGroup, lambda: number, utilisation: number): number {
  const reaching = Math.max(1e-9, 1 - group.errorRate);
  return (utilisation * group.servers * group.ratePerServer) / (reaching * lambda);
}

/** Phase one: fill the groups with the fewest errors first, each tier at equal utilisation. */
export function errorMinimalSplit(problem: OracleProblem): number[] {
  const { groups, lambda } = problem;
  const n = groups.length;
  const shares = new Array<number>(n).fill(ORACLE_FLOOR);
  let left = 1 - n * ORACLE_FLOOR;
  const tiers = [...new Set(groups.map((g) => g.errorRate))].sort((a, b) => a - b);
  for (const errorRate of tiers) {
    if (left <= 0) break;
    const members = groups.map((_, i) => i).filter((i) => groups[i].errorRate === errorRate);
    const room = members.map((i) =>
      Math.max(0, shareCap(groups[i], lambda, MAX_PHASE_ONE_UTILISATION) - shares[i]),
    );
    const totalRoom = room.reduce((a, b) => a + b, 0);
    if (totalRoom <= 0) continue;
    const given = Math.min(left, totalRoom);
    // Within a tier, spreading in proportion to room leaves every member equally busy.
    members.forEach((i, k) => (shares[i] += (given * room[k]) / totalRoom));
    left -= given;
  }
  if (left > 1e-12) return capacityProportionalSplit(problem);
  return shares;
}

/** Every group equally busy: the fallback when no split keeps all groups under 90%. */
export function capacityProportionalSplit(problem: OracleProblem): number[] {
  const capacities = problem.groups.map(
    (g) => (g.servers * g.ratePerServer) / Math.max(1e-9, 1 - g.errorRate),
  );
  const total = capacities.reduce((a, b) => a + b, 0);
  return capacities.map((c) => Math.max(ORACLE_FLOOR, c / total));
}

function expectedErrorRate(groups: readonly QueueGroup[], shares: readonly number[]): number {
  return shares.reduce((sum, share, i) => sum + share * groups[i].errorRate, 0);
}

/**
 * Phase two: golden-section transfers between every pair of groups until no transfer lowers the
 * p99 by more than a millionth; a transfer never raises the expected error rate.
 */
export function solveOracle(problem: OracleProblem, previous?: readonly number[]): number[] {
  const { groups, lambda } = problem;
  const n = groups.length;
  if (n === 1) return [1];
  let shares = errorMinimalSplit(problem);
  if (previous !== undefined && previous.length === n) {
    const sameErrors =
      Math.abs(expectedErrorRate(groups, previous) - expectedErrorRate(groups, shares)) < 1e-9;
    if (sameErrors && Number.isFinite(splitQuantile(groups, previous, lambda))) {
      shares = [...previous];
    }
  }
  let best = splitQuantile(groups, shares, lambda);
  for (let sweep = 0; sweep < 30; sweep++) {
    let improved = false;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const result = bestTransfer(problem, shares, i, j);
        if (result.p99 < best * (1 - 1e-6)) {
          shares = result.shares;
          best = result.p99;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return shares;
}

/** Moves x from group i to group j (x may be negative) and finds the x with the lowest p99. */
function bestTransfer(
  problem: OracleProblem,
  shares: readonly number[],
  i: number,
  j: number,
): { shares: number[]; p99: number } {
  const { groups, lambda } = problem;
  const capI = shareCap(groups[i], lambda, MAX_UTILISATION);
  const capJ = shareCap(groups[j], lambda, MAX_UTILISATION);
  let low = Math.max(ORACLE_FLOOR - shares[j], shares[i] - capI);
  let high = Math.min(shares[i] - ORACLE_FLOOR, capJ - shares[j]);
  // Lexicographic order: p99 may only improve along transfers that add no expected errors.
  if (groups[j].errorRate > groups[i].errorRate) high = Math.min(high, 0);
  if (groups[j].errorRate < groups[i].errorRate) low = Math.max(low, 0);
  const trial = [...shares];
  const p99At = (x: number): number => {
    trial[i] = shares[i] - x;
    trial[j] = shares[j] + x;
    return splitQuantile(groups, trial, lambda);
  };
  if (!(high > low)) return { shares: [...shares], p99: p99At(0) };
  let a = low;
  let b = high;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  let fc = p99At(c);
  let fd = p99At(d);
  while (b - a > 1e-5) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      fc = p99At(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      fd = p99At(d);
    }
  }
  const x = (a + b) / 2;
  const p99 = p99At(x);
  const result = [...shares];
  result[i] = shares[i] - x;
  result[j] = shares[j] + x;
  return { shares: result, p99 };
}

/** A memo of oracle answers keyed by the rounded problem, shared by the runs of one worker. */
export class OracleCache {
  private readonly answers = new Map<string, number[]>();

  solve(problem: OracleProblem, previous?: readonly number[]): number[] {
    const key =
      problem.lambda.toPrecision(5) +
      '|' +
      problem.groups
        .map((g) => `${g.servers}:${g.ratePerServer.toPrecision(5)}:${g.errorRate.toPrecision(4)}`)
        .join('|');
    const known = this.answers.get(key);
    if (known !== undefined) return known;
    const answer = solveOracle(problem, previous);
    this.answers.set(key, answer);
    return answer;
  }
}
