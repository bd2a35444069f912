/**
 * Latency histograms with logarithmic buckets 0.5% wide, from 0.01 ms to beyond the 10 s timeout,
 * so a percentile read from one is within 0.25% of the exact sample value.
 */

export const HISTOGRAM_MIN_MS = 0.01;
export const HISTOGRAM_GROWTH = 1.005;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);
export const INV_LOG_GROWTH = 1 / LOG_GROWTH;
/** Enough buckets to reach 20 s. */
export const HISTOGRAM_BUCKETS = Math.ceil(Math.log(20_000 / HISTOGRAM_MIN_MS) / LOG_GROWTH) + 1;

export function newHistogram(): Float64Array {
  return new Float64Array(HISTOGRAM_BUCKETS);
}

export function bucketOf(latencyMs: number): number {
  if (latencyMs <= HISTOGRAM_MIN_MS) return 0;
  const index = Math.floor(Math.log(latencyMs / HISTOGRAM_MIN_MS) * INV_LOG_GROWTH);
  return index < HISTOGRAM_BUCKETS ? index : HISTOGRAM_BUCKETS - 1;
}

/** The geometric middle of a bucket: the value a percentile in that bucket is reported as. */
export function bucketValueMs(index: number): number {
  return HISTOGRAM_MIN_MS * Math.pow(HISTOGRAM_GROWTH, index + 0.5);
}

export function histogramCount(histogram: Float64Array): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i];
  return total;
}

/** The q-quantile (0 < q < 1) in ms, or null for an empty histogram. */
export function percentileMs(histogram: Float64Array, q: number): number | null {
  const total = histogramCount(histogram);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return bucketValueMs(i);
  }
  return bucketValueMs(histogram.length - 1);
}

export function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}
