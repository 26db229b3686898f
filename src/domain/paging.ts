/**
 * Where the next page of registered orders starts. The list shrinks while workers ship: each order
 * this pass listed and whose job has since finished left `registered` from a position before the
 * offset, so the rest of the list moved up by that many. Stepping back by them keeps a pass from
 * passing orders by; an order counted that had not moved anything (a child from an earlier attempt
 * of the cycle) only makes a page overlap the last, and its orders are skipped as already queued.
 */
export function nextSkip(listed: number, finishedSinceStart: number): number {
  return Math.max(0, listed - finishedSinceStart);
}
