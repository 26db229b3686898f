import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttle } from '../src/throttle.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('throttle', () => {
  it('passes the first call per key, then one per interval with the count it held back', () => {
    vi.useFakeTimers({ now: 0 });
    const seen: [string, number, number][] = [];
    const report = throttle<number>(1000, (key, value, suppressed) => seen.push([key, value, suppressed]));
    report('a', 1);
    report('a', 2);
    report('b', 3);
    report('a', 4);
    vi.setSystemTime(1000);
    report('a', 5);
    expect(seen).toEqual([
      ['a', 1, 0],
      ['b', 3, 0],
      ['a', 5, 2],
    ]);
  });
});
