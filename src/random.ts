/** A source of uniform numbers in [0, 1), injected wherever the code draws at random. */
export type Random = () => number;

/**
 * mulberry32: tiny, fast and good enough to decide simulated failures; with a seed,
 * tests and benchmarks draw the same sequence on every run.
 */
export function createRandom(seed: number = Math.floor(Math.random() * 2 ** 32)): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
