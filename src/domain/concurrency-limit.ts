/**
 * How many requests to one upstream are worth having in flight, decided from what the answers show.
 * Pure: the caller feeds it windows of samples and it returns the next limit.
 *
 * A delay-based rule in the family of TCP Vegas and Netflix's concurrency-limits: a request's time
 * against the fastest seen for its route (its baseline) says how much of the limit is queueing at the
 * upstream, `queue = limit × (1 − (1 + TOLERANCE) × baseline / time)`, `time` the window's median.
 * The limit grows while fewer than ALPHA requests wait there and shrinks once more than BETA do, so
 * an upstream with a capacity (a threaded server over SQLite) gets just enough requests to stay busy,
 * while one that only adds latency gets as many as the jobs can make. Timeouts, 429, 503 and 504 are
 * overload whatever the times say: the limit falls by a third. While this process's own event loop is
 * saturated, times measure the process, not the upstream, and the limit holds.
 */

export interface LimitWindow {
  /** Answers in the window. */
  readonly samples: number;
  /** Median of each answer's time over its route's baseline (1 when no queueing at all). */
  readonly ratio: number;
  /** Timeouts and overload answers (429, 503, 504) in the window. */
  readonly overloads: number;
  /** Whether requests waited for a permit during the window: only then does more room help. */
  readonly limited: boolean;
  /** Share of the window this process's event loop was busy (0..1). */
  readonly busy: number;
}

export interface LimitState {
  readonly limit: number;
  /** Doubling until the first sign of queueing or overload. */
  readonly slowStart: boolean;
}

export interface LimitBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * Requests allowed to wait at the upstream: below ALPHA more help, above BETA they only add latency.
 * The queue must cover the time this process takes to turn an answer into its next request (event-loop
 * turns among hundreds of jobs, several service times of a 5.5 ms PUT) or the upstream idles meanwhile:
 * on the capacity model 6/12 gave 151 orders/s where 2/4 gave 142; on the real services both the same.
 */
export const ALPHA = 6;
export const BETA = 12;
/**
 * Answers up to this much slower than the baseline count as noise, not queueing: a loaded client's own
 * event loop delays them by a few milliseconds, which on a fast upstream would otherwise hold the limit
 * at ALPHA / jitter (15–20 against a 20 ms upstream). Envoy's adaptive concurrency keeps such a buffer.
 */
export const TOLERANCE = 0.25;
/** An event loop busier than this makes answers late by itself. */
export const BUSY = 0.9;
/** Overload takes a third off the limit. */
const BACK_OFF = 0.7;

/** The next limit after a window of answers. */
export function nextLimit(state: LimitState, window: LimitWindow, bounds: LimitBounds): LimitState {
  const clamp = (limit: number) => Math.min(bounds.max, Math.max(bounds.min, limit));
  if (window.samples === 0) return state;
  if (window.overloads > 0) return { limit: clamp(state.limit * BACK_OFF), slowStart: false };
  if (window.busy > BUSY) return state;
  const queued = state.limit * Math.max(0, 1 - (1 + TOLERANCE) / window.ratio);
  if (queued > BETA) {
    // Down to what would leave the middle of the band waiting, at most halving in one window.
    const target = state.limit - queued + (ALPHA + BETA) / 2;
    return { limit: clamp(Math.max(state.limit / 2, target)), slowStart: false };
  }
  if (queued < ALPHA && window.limited) {
    return { limit: clamp(state.slowStart ? state.limit * 2 : state.limit + 1), slowStart: state.slowStart };
  }
  return { limit: state.limit, slowStart: state.slowStart && queued < ALPHA };
}

/**
 * The fastest time seen per route over the last few `bucketMs` buckets: an upstream that became
 * slower for good is believed after that long, while one lucky fast answer does not stay the
 * baseline for ever.
 */
export class RollingMinimum {
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #values: { start: number; min: number }[] = [];

  constructor(bucketMs: number, buckets: number) {
    this.#bucketMs = bucketMs;
    this.#buckets = buckets;
  }

  add(value: number, now: number): void {
    const last = this.#values.at(-1);
    if (last !== undefined && now - last.start < this.#bucketMs) last.min = Math.min(last.min, value);
    else this.#values.push({ start: now, min: value });
    while (this.#values.length > 0 && now - (this.#values[0]?.start ?? now) >= this.#bucketMs * this.#buckets)
      this.#values.shift();
  }

  /** The minimum over the kept buckets, or undefined before the first value. */
  get value(): number | undefined {
    return this.#values.length === 0 ? undefined : Math.min(...this.#values.map((bucket) => bucket.min));
  }
}
