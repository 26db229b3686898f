/**
 * Recent upstream answers as this process saw them, in one-second buckets. The cycle asks it how
 * much to fan out: while nearly every recent call failed, adding thousands of jobs would only fill
 * Redis with doomed retries, so it adds a small probe instead; once calls succeed again the failure
 * ratio falls and fan-out resumes in full. No state machine: the probe's own results decide.
 */
export interface UpstreamHealthOptions {
  /** Seconds of history that count. */
  readonly windowSeconds: number;
  /** Fewer failures than this in the window never throttle (a handful of errors is not an outage). */
  readonly minFailures: number;
  /** Failure ratio in the window at and above which fan-out is throttled. */
  readonly failureRatio: number;
  /** Orders a throttled cycle may still add, to find out whether the upstream is back. */
  readonly probeSize: number;
}

export class UpstreamHealth {
  readonly #options: UpstreamHealthOptions;
  readonly #buckets = new Map<number, { ok: number; failed: number }>();
  readonly #now: () => number;

  constructor(options: UpstreamHealthOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  record(ok: boolean): void {
    const second = Math.floor(this.#now() / 1000);
    const bucket = this.#buckets.get(second) ?? { ok: 0, failed: 0 };
    if (ok) bucket.ok += 1;
    else bucket.failed += 1;
    this.#buckets.set(second, bucket);
    for (const key of this.#buckets.keys()) if (key <= second - this.#options.windowSeconds) this.#buckets.delete(key);
  }

  /** Calls that succeeded and failed within the window. */
  recent(): { ok: number; failed: number } {
    const oldest = Math.floor(this.#now() / 1000) - this.#options.windowSeconds;
    let ok = 0;
    let failed = 0;
    for (const [second, bucket] of this.#buckets) {
      if (second <= oldest) continue;
      ok += bucket.ok;
      failed += bucket.failed;
    }
    return { ok, failed };
  }

  /** How many orders a cycle may add now: `undefined` for no limit. */
  fanOutLimit(): number | undefined {
    const { ok, failed } = this.recent();
    const { minFailures, failureRatio, probeSize } = this.#options;
    return failed >= minFailures && failed / (ok + failed) >= failureRatio ? probeSize : undefined;
  }
}
