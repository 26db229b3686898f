import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/domain/backoff.ts';
import { createRandom } from '../../src/random.ts';

describe('backoffDelay', () => {
  it('doubles from the base, stays within [half, full] of the ceiling, and never passes the cap', () => {
    const random = createRandom(1);
    for (let attempt = 1; attempt <= 50; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, 1000, 60_000, random);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
  it('spreads retries of the same attempt', () => {
    const random = createRandom(2);
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3, 1000, 60_000, random)));
    expect(delays.size).toBeGreaterThan(15);
  });
});
