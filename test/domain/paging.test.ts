import { describe, expect, it } from 'vitest';
import { nextSkip } from '../../src/domain/paging.ts';

/** Positions the next page must start at, worked out on an actual list: the ids still listed after those that finished. */
function firstUnlistedPosition(total: number, listed: number, finished: readonly number[]): number {
  const remaining = Array.from({ length: total }, (_, i) => i).filter((id) => !finished.includes(id));
  return remaining.indexOf(listed);
}

describe('nextSkip', () => {
  it('is the count listed while nothing has finished', () => {
    expect(nextSkip(0, 0)).toBe(0);
    expect(nextSkip(3000, 0)).toBe(3000);
  });

  it('steps back by every listed order that finished, landing on the first order not yet listed', () => {
    // 10 orders, ids = positions; pages of 4 listed 0..7; orders 1, 2 and 6 finished meanwhile.
    const finished = [1, 2, 6];
    expect(nextSkip(8, finished.length)).toBe(firstUnlistedPosition(10, 8, finished));
  });

  it('never goes below the start of the list', () => {
    expect(nextSkip(100, 250)).toBe(0);
  });
});
