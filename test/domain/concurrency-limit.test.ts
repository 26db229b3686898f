import { describe, expect, it } from 'vitest';
import {
  ALPHA,
  BETA,
  type LimitWindow,
  nextLimit,
  RollingMinimum,
  TOLERANCE,
} from '../../src/domain/concurrency-limit.ts';

const window = (overrides: Partial<LimitWindow>): LimitWindow => ({
  samples: 20,
  ratio: 1,
  overloads: 0,
  limited: true,
  busy: 0.2,
  ...overrides,
});
const bounds = { min: 1, max: 256 };

describe('the next concurrency limit', () => {
  it('doubles in slow start while nothing queues, then grows by one', () => {
    expect(nextLimit({ limit: 8, slowStart: true }, window({}), bounds)).toEqual({ limit: 16, slowStart: true });
    expect(nextLimit({ limit: 8, slowStart: false }, window({}), bounds)).toEqual({ limit: 9, slowStart: false });
  });

  it('grows only when requests waited for a permit: an idle limit says nothing', () => {
    expect(nextLimit({ limit: 8, slowStart: true }, window({ limited: false }), bounds).limit).toBe(8);
  });

  it('holds while the estimated queue at the upstream is between ALPHA and BETA', () => {
    // 24 × (1 − 1.25/2) = 9 requests queued.
    expect(TOLERANCE).toBe(0.25);
    expect(ALPHA).toBeLessThan(9);
    expect(BETA).toBeGreaterThan(9);
    expect(nextLimit({ limit: 24, slowStart: true }, window({ ratio: 2 }), bounds)).toEqual({
      limit: 24,
      slowStart: false,
    });
  });

  it('shrinks towards the middle of the band when more queue, at most halving in one window', () => {
    // 40 × (1 − 1.25/2.5) = 20 queued: down to 40 − 20 + 9 = 29.
    expect(nextLimit({ limit: 40, slowStart: false }, window({ ratio: 2.5 }), bounds).limit).toBeCloseTo(29);
    // 100 × (1 − 1.25/50) = 97.5 queued: 11.5 would be the target, but no more than half goes at once.
    expect(nextLimit({ limit: 100, slowStart: false }, window({ ratio: 50 }), bounds).limit).toBe(50);
  });

  it('takes answers up to TOLERANCE slower than the baseline for noise, not queueing', () => {
    // A loaded client's own event loop adds a few ms to a 20 ms upstream: without the tolerance,
    // 80 × (1 − 1/1.2) ≈ 13.3 would count as queued and shrink the limit.
    expect(nextLimit({ limit: 80, slowStart: false }, window({ ratio: 1.2 }), bounds).limit).toBe(81);
    // Past the tolerance it is queueing again: 80 × (1 − 1.25/1.5) ≈ 13.3 queued.
    expect(nextLimit({ limit: 80, slowStart: false }, window({ ratio: 1.5 }), bounds).limit).toBeLessThan(80);
  });

  it('cuts a third on timeouts and overload answers, whatever the times', () => {
    expect(nextLimit({ limit: 30, slowStart: true }, window({ overloads: 1 }), bounds)).toEqual({
      limit: 21,
      slowStart: false,
    });
  });

  it('holds while the process itself is saturated', () => {
    expect(nextLimit({ limit: 300, slowStart: false }, window({ ratio: 30, busy: 0.95 }), bounds).limit).toBe(300);
  });

  it('stays within its bounds', () => {
    expect(nextLimit({ limit: 200, slowStart: true }, window({}), bounds).limit).toBe(256);
    expect(nextLimit({ limit: 1, slowStart: false }, window({ overloads: 3 }), bounds).limit).toBe(1);
  });
});

describe('a rolling minimum', () => {
  it('keeps the least value of its buckets and forgets those past its span', () => {
    const min = new RollingMinimum(1000, 3);
    expect(min.value).toBeUndefined();
    min.add(5, 0);
    min.add(9, 500);
    min.add(7, 1500);
    expect(min.value).toBe(5);
    min.add(8, 3200);
    expect(min.value).toBe(7);
    min.add(6, 4600);
    expect(min.value).toBe(6);
  });
});
