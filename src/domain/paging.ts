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

/** Why a cycle stopped listing before the end of the list. */
export type PassCut = 'nothing-new' | 'max-orders';

/**
 * Whether a cycle pass must stop after a full page: when the page brought no order the pass had not
 * listed (an Order API that ignores skip repeats itself for ever), or once it has listed `maxOrders`
 * (one that invents new orders page after page would fill Redis).
 */
export function pageLimit(pageSize: number, fresh: number, listed: number, maxOrders: number): PassCut | undefined {
  if (pageSize > 0 && fresh === 0) return 'nothing-new';
  return listed >= maxOrders ? 'max-orders' : undefined;
}
