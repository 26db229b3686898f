import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../src/telemetry/troubles.ts';

describe('RateLimit', () => {
  it('lets the first trouble through, holds back the rest of its period, and counts them in the next', () => {
    let now = 1000;
    const limit = new RateLimit(60_000, () => now);
    expect(limit.take()).toBe(0);
    now += 10;
    expect(limit.take()).toBeUndefined();
    now += 59_000;
    expect(limit.take()).toBeUndefined();
    now += 990;
    expect(limit.take()).toBe(2);
    now += 1;
    expect(limit.take()).toBeUndefined();
    now += 120_000;
    expect(limit.take()).toBe(1);
  });
});
