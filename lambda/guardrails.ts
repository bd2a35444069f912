/**
 * The guardrails the decision step applies to every policy's weights, as pure functions over
 * shares (fractions of traffic that sum to 1) and integer weights.
 */
import { Guardrails, guardrailsSchema, MAX_WEIGHT } from './contract';

/** Shares closer than this are treated as equal, so float noise never moves a weight. */
const EPSILON = 1e-9;

/** Parses guardrails, failing with a message that names the property, the value and the rule. */
export function parseGuardrails(guardrails: unknown): Guardrails {
  const result = guardrailsSchema.safeParse(guardrails);
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  const property = issue.path.join('.');
  const received = issue.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
    guardrails,
  );
  throw new Error(`guardrails.${property} is ${describeValue(received)}; ${issue.message}`);
}

/** A weight as AWS accepts it: an integer from 0 to 999; anything else reads as 0. */
export function sanitizeWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(MAX_WEIGHT, Math.round(weight));
}

/** True when every weight is an integer from 0 to 999 and at least one is above 0. */
export function isValidWeightVector(weights: readonly number[]): boolean {
  const inRange = weights.every((w) => Number.isInteger(w) && w >= 0 && w <= MAX_WEIGHT);
  return inRange && weights.some((w) => w > 0);
}

/** Fractions of the total; all zeros when the total is zero. */
export function sharesOf(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => (total > 0 ? w / total : 0));
}

/** Renormalizes `weights` over the groups where `live` is true; the others get 0. */
export function normalizeOver(weights: readonly number[], live: readonly boolean[]): number[] {
  const kept = weights.map((w, i) => (live[i] ? w : 0));
  return sharesOf(kept);
}

/** An even split over the live groups. */
export function evenOver(live: readonly boolean[]): number[] {
  return normalizeOver(
    live.map(() => 1),
    live,
  );
}

/** A minimum share for every group: one for all, or one each. */
export type MinShares = number | readonly number[];

function minShareOf(minShare: MinShares, i: number): number {
  return typeof minShare === 'number' ? minShare : minShare[i];
}

/**
 * Raises every live group to at least its `minShare`, taking the difference from the groups above
 * it in proportion to their excess, so their order is kept.
 */
export function applyMinShare(
  shares: readonly number[],
  live: readonly boolean[],
  minShare: MinShares,
): number[] {
  const floor = (i: number) => minShareOf(minShare, i);
  const result = [...shares];
  const pinned = new Set<number>();

  // Each pass pins at least one more group, so this ends within one pass per group.
  for (let pass = 0; pass <= shares.length; pass++) {
    const below = result
      .map((_, i) => i)
      .filter((i) => live[i] && !pinned.has(i) && result[i] < floor(i) - EPSILON);
    if (below.length === 0) break;
    below.forEach((i) => pinned.add(i));

    const free = result.map((_, i) => i).filter((i) => live[i] && !pinned.has(i));
    const budget = 1 - [...pinned].reduce((sum, i) => sum + floor(i), 0);
    const freeTotal = free.reduce((sum, i) => sum + result[i], 0);
    pinned.forEach((i) => (result[i] = floor(i)));
    free.forEach(
      (i) => (result[i] = freeTotal > 0 ? (result[i] / freeTotal) * budget : budget / free.length),
    );
  }
  return result;
}

export interface StepLimit {
  readonly shares: number[];
  /** True when cuts forced by health or drains left more share than the step allows to rise. */
  readonly relaxed: boolean;
}

/**
 * Caps each live group's rise at `maxStepUp` above its current share (or `minShare`, whichever is
 * higher). What the cap holds back goes first to the live groups being cut, so cuts slow down,
 * except groups `shedding` (probed by the policy, as failing) and those going to 0; what they
 * must shed goes next to live groups below their cap, and only then beyond the cap, because
 * traffic has to go somewhere.
 */
export function limitStepUp(
  target: readonly number[],
  current: readonly number[],
  live: readonly boolean[],
  maxStepUp: number,
  minShare: MinShares,
  shedding: readonly boolean[] = [],
): StepLimit {
  const cap = current.map((c, i) =>
    live[i] ? Math.max(c + maxStepUp, minShareOf(minShare, i)) : 0,
  );
  const result = target.map((t, i) => Math.min(t, cap[i]));
  let excess = target.reduce((sum, t, i) => sum + Math.max(0, t - cap[i]), 0);
  if (excess <= EPSILON) return { shares: result, relaxed: false };

  const cutBy = result.map((s, i) =>
    live[i] && !shedding[i] ? Math.max(0, current[i] - s) : 0,
  );
  excess = spread(result, cutBy, excess);

  const headroom = result.map((s, i) =>
    live[i] && !shedding[i] ? Math.max(0, cap[i] - s) : 0,
  );
  excess = spread(result, headroom, excess);
  if (excess <= EPSILON) return { shares: result, relaxed: false };

  // Past the caps, share goes where the policy wants it, not to a group it is cutting.
  const wanted = target.map((t, i) => (live[i] && !shedding[i] ? t : 0));
  const held = result.map((s, i) => (live[i] && !shedding[i] ? s : 0));
  const anyLive = result.map((s, i) => (live[i] ? s : 0));
  const receivers = [wanted, held, anyLive].find((room) => room.some((r) => r > EPSILON))!;
  spread(result, receivers, excess, true);
  return { shares: result, relaxed: true };
}

/**
 * Adds up to `amount` to `shares` in proportion to `room`, never more than a group's room unless
 * `unbounded`; returns what could not be placed.
 */
function spread(
  shares: number[],
  room: readonly number[],
  amount: number,
  unbounded = false,
): number {
  const totalRoom = room.reduce((sum, r) => sum + r, 0);
  if (totalRoom <= EPSILON || amount <= EPSILON) return amount;

  const placed = unbounded ? amount : Math.min(amount, totalRoom);
  room.forEach((r, i) => (shares[i] += (r / totalRoom) * placed));
  return amount - placed;
}

/** The largest absolute change of any group's share. */
export function largestShareMove(from: readonly number[], to: readonly number[]): number {
  return from.reduce((largest, f, i) => Math.max(largest, Math.abs(to[i] - f)), 0);
}

/**
 * Converts shares to integer weights, rounding by largest remainder, with the largest weight at
 * most 999. A group with share 0 gets 0; a live group gets at least `minShare` of the total (and
 * at least 1), so rounding never breaks the minimum-share or zero rules. The total is 999 unless
 * the minimum shares cannot all be met at 999 (five groups at 0.2), then the nearest below.
 */
export function toIntegerWeights(
  shares: readonly number[],
  live: readonly boolean[],
  minShare: MinShares,
): number[] {
  const kept = shares.map((s, i) => s > 0 && live[i]);
  const keptCount = kept.filter(Boolean).length;
  let total = MAX_WEIGHT;
  const minimumAt = (t: number, i: number) =>
    Math.max(1, Math.ceil(minShareOf(minShare, i) * t - EPSILON));
  const minimaAt = (t: number) =>
    kept.reduce((sum, k, i) => sum + (k ? minimumAt(t, i) : 0), 0);
  while (total > keptCount && minimaAt(total) > total) total--;

  const floorOf = (i: number) => (kept[i] ? minimumAt(total, i) : 0);
  const exact = shares.map((s, i) => (kept[i] ? s * total : 0));
  const weights = exact.map((e, i) =>
    kept[i] ? Math.max(Math.floor(e + EPSILON), floorOf(i)) : 0,
  );
  let missing = total - weights.reduce((sum, w) => sum + w, 0);

  const byRemainder = weights
    .map((_, i) => i)
    .filter((i) => kept[i])
    .sort((a, b) => exact[b] - weights[b] - (exact[a] - weights[a]) || a - b);
  for (let k = 0; missing > 0 && byRemainder.length > 0; k++, missing--) {
    weights[byRemainder[k % byRemainder.length]] += 1;
  }

  // Floors may overshoot the total: take the surplus back from the groups furthest above theirs.
  while (missing < 0) {
    const headroom = weights.map((w, i) => w - floorOf(i));
    const richest = headroom.indexOf(Math.max(...headroom));
    if (headroom[richest] <= 0) break;
    weights[richest] -= 1;
    missing++;
  }
  return weights;
}

/** A value as an error message quotes it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'missing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
