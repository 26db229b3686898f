import { describe, expect, it } from 'vitest';
import { UpstreamHealth } from '../../src/domain/upstream-health.ts';

function health() {
  let now = 1_000_000;
  const h = new UpstreamHealth({ windowSeconds: 10, minFailures: 5, failureRatio: 0.8, probeSize: 3 }, () => now);
  return { h, advance: (ms: number) => (now += ms) };
}

describe('UpstreamHealth', () => {
  it('does not throttle on a handful of failures, nor on a mixed picture', () => {
    const { h } = health();
    for (let i = 0; i < 4; i++) h.record(false);
    expect(h.fanOutLimit()).toBeUndefined();
    for (let i = 0; i < 10; i++) h.record(i % 2 === 0);
    expect(h.recent()).toEqual({ ok: 5, failed: 9 });
    expect(h.fanOutLimit()).toBeUndefined();
  });

  it('throttles to the probe size when nearly everything fails, and lets go as successes return', () => {
    const { h } = health();
    for (let i = 0; i < 20; i++) h.record(false);
    expect(h.fanOutLimit()).toBe(3);
    for (let i = 0; i < 6; i++) h.record(true);
    expect(h.fanOutLimit()).toBeUndefined();
  });

  it('forgets what is older than the window', () => {
    const { h, advance } = health();
    for (let i = 0; i < 20; i++) h.record(false);
    advance(10_000);
    expect(h.recent()).toEqual({ ok: 0, failed: 0 });
    expect(h.fanOutLimit()).toBeUndefined();
  });
});
