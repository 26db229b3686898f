import { setImmediate as flushed } from 'node:timers/promises';
import type { Clock } from '../../src/sim/capacity.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when the test says so: timers fire in order of their due time, and every
 * promise chain they start settles before the clock moves on. Simulations on it are deterministic.
 */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return timer;
  }

  clearTimer(timer: unknown): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
  }

  /** Runs every timer due before `until`, settling promises after each. */
  async runUntil(until: number): Promise<void> {
    await flushed();
    for (;;) {
      const next = this.#timers.reduce<Timer | undefined>(
        (first, t) => (first === undefined || t.at < first.at || (t.at === first.at && t.seq < first.seq) ? t : first),
        undefined,
      );
      if (next === undefined || next.at > until) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
      await flushed();
    }
    this.#now = until;
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }
}
