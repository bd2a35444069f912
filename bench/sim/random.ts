/**
 * Seeded pseudo-random streams. Every source of chance in the simulator draws from its own stream,
 * so two policies run on the same seed see the very same arrivals and service times.
 */

/** A mulberry32 generator: returns uniform numbers in [0, 1). */
export type RandomStream = () => number;

export function mulberry32(seed: number): RandomStream {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent stream for one purpose (arrivals, routing, ...) from a run's seed. */
export function stream(seed: number, purpose: number): RandomStream {
  return mulberry32(streamSeed(seed, purpose));
}

/** The starting state of the stream for one purpose of one run's seed. */
export function streamSeed(seed: number, purpose: number): number {
  // Mixing the purpose through a multiplicative hash keeps the streams of nearby seeds apart.
  const mixed = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(purpose + 1, 0xc2b2ae35);
  return Math.floor(mulberry32(mixed)() * 4294967296) | 0;
}

export const STREAM_ARRIVALS = 1;
export const STREAM_ROUTING = 2;
export const STREAM_SERVICE = 3;
export const STREAM_FAILURES = 4;
