import type { Random } from '../random.ts';

/** The backoff type name jobs carry in their options; workers register the strategy under it. */
export const BACKOFF_TYPE = 'capped-jitter';

/**
 * Delay before the next attempt: exponential from `baseMs`, capped at `maxMs` (BullMQ's built-in
 * exponential has no cap, so a job with many attempts would wait days), with "equal jitter": half
 * fixed, half random, so retries of a burst of failures spread out instead of arriving together.
 */
export function backoffDelay(attemptsMade: number, baseMs: number, maxMs: number, random: Random): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
