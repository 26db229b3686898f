import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type LimitState, nextLimit, RollingMinimum } from '../domain/concurrency-limit.ts';
import { NotSent } from '../errors.ts';
import type { Random } from '../random.ts';

/** `first` goes ahead of every `normal` waiter: the cycle's listing, stock calls made under a lock. */
export type Priority = 'first' | 'normal';

/** What one request showed, given back with its permit. */
export interface Sample {
  /** The kind of request (`PUT /orders/:id`): each has its own baseline time. */
  readonly route: string;
  readonly ms: number;
  /** A timeout, 429, 503 or 504: the upstream is overloaded, whatever the times say. */
  readonly overload: boolean;
}

export interface Permit {
  /** Gives the permit back with what the request showed; undefined when it says nothing (never sent). */
  release(sample: Sample | undefined): void;
}

/** The limiter's state when it has been full for a while. */
export interface Saturation {
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Median time of the last window's answers over their baselines. */
  readonly ratio: number;
}

export interface LimiterOptions {
  /** The most requests ever in flight (a user's upper bound). */
  readonly max: number;
  /** Called once when requests have waited for a permit for SATURATED_MS, then at most every REPORT_EVERY_MS. */
  readonly onSaturated?: (state: Saturation) => void;
  /** Called with each permit's wait, in ms. */
  readonly onWait?: (ms: number) => void;
  readonly random: Random;
  /** Starts a measurement of how busy this process's event loop is; calling the result reads it (0..1). */
  readonly busyMeter?: () => () => number;
  /** Starts a measurement of this process's mean event-loop delay; calling the result reads it (ms). */
  readonly lagMeter?: () => () => number;
  readonly now?: () => number;
}

/** The answers since the limit last moved. */
interface SampleWindow {
  readonly start: number;
  /** Each answer's time with its route's baseline then. */
  readonly times: { ms: number; baseline: number }[];
  overloads: number;
  limited: boolean;
  readonly busy: () => number;
  readonly lag: () => number;
}

interface Waiter {
  readonly since: number;
  grant(): void;
}

/** A start that neither floods an upstream nor lets one slow request (a long listing) hold every permit. */
const INITIAL_LIMIT = 4;
/** Fewer answers than this in a window say too little to move the limit. */
const MIN_SAMPLES = 8;
/** A window also ends after this long, however few answered. */
const WINDOW_MAX_MS = 1000;
/** How often, at about, in-flight requests are let drain so one request alone measures the unloaded time. */
const PROBE_EVERY_MS = 15_000;
/** Baselines forget after BUCKETS × BUCKET_MS: an upstream that became slower for good is believed then. */
const BUCKET_MS = 10_000;
const BUCKETS = 3;
const SATURATED_MS = 5000;
const REPORT_EVERY_MS = 10 * 60_000;

/** The middle value: a few answers delayed by this process's own pauses do not move it. */
const median = (values: number[]): number => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 1) : ((sorted[middle - 1] ?? 1) + (sorted[middle] ?? 1)) / 2;
};

/** One histogram for the process, never reset: each measurement takes the difference since its start. */
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;
const eventLoopLag = () => {
  if (loopDelay === undefined) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const histogram = loopDelay;
  const total = () => (histogram.count === 0 ? 0 : histogram.mean * histogram.count);
  const [count, sum] = [histogram.count, total()];
  return () => (histogram.count > count ? (total() - sum) / (histogram.count - count) / 1e6 : 0);
};

const eventLoopBusy = () => {
  const start = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(start).utilization;
};

/**
 * Permits to send requests to one upstream (see domain/concurrency-limit.ts for the rule). Jobs wait
 * here, ahead of the socket pool, so the upstream sees only as many requests as it can serve, and a
 * `first` request (the cycle's listing) is the next to go however many status updates wait.
 */
export class ConcurrencyLimiter {
  readonly #options: LimiterOptions;
  readonly #now: () => number;
  readonly #busyMeter: () => () => number;
  readonly #lagMeter: () => () => number;
  #state: LimitState;
  #inFlight = 0;
  readonly #waiting: Record<Priority, Waiter[]> = { first: [], normal: [] };
  readonly #baselines = new Map<string, RollingMinimum>();
  #window: SampleWindow;
  #lastRatio = 1;
  #probeAt: number;
  /** While draining for a probe, no permit is granted until none is in flight; then exactly one. */
  #probe: 'off' | 'draining' | 'sent' = 'off';
  #waitingSince: number | undefined;
  #reportedAt = Number.NEGATIVE_INFINITY;

  constructor(options: LimiterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#busyMeter = options.busyMeter ?? eventLoopBusy;
    this.#lagMeter = options.lagMeter ?? eventLoopLag;
    this.#state = { limit: Math.min(INITIAL_LIMIT, options.max), slowStart: true };
    this.#probeAt = this.#now() + PROBE_EVERY_MS * (0.5 + options.random());
    this.#window = this.#newWindow();
  }

  get limit(): number {
    return Math.floor(this.#state.limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#waiting.first.length + this.#waiting.normal.length;
  }

  /**
   * Resolves with a permit once a request may go. Rejects with NotSent when `deadline`
   * (performance.now()) passes or `signal` aborts first: the request never left.
   */
  acquire(priority: Priority, options: { deadline?: number; signal?: AbortSignal } = {}): Promise<Permit> {
    if (this.queued === 0 && this.#probe === 'off' && this.#inFlight < this.limit) return Promise.resolve(this.#take());
    return new Promise<Permit>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (error: Error) => {
        const queue = this.#waiting[priority];
        const at = queue.indexOf(waiter);
        if (at < 0) return;
        queue.splice(at, 1);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#noteWaiting();
        reject(error);
      };
      const onAbort = () => leave(new NotSent('the request was not sent: its caller gave up waiting for a permit'));
      const waiter: Waiter = {
        since: this.#now(),
        grant: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.#options.onWait?.(this.#now() - waiter.since);
          resolve(this.#take());
        },
      };
      if (options.signal?.aborted) return reject(new NotSent('the request was not sent: its caller gave up'));
      this.#waiting[priority].push(waiter);
      this.#window.limited = true;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.deadline !== undefined) {
        timer = setTimeout(
          () => leave(new NotSent('the request was not sent: its deadline passed while it waited for a permit')),
          Math.max(0, options.deadline - this.#now()),
        );
      }
      this.#grant();
    });
  }

  #take(): Permit {
    this.#inFlight += 1;
    let released = false;
    return {
      release: (sample) => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        if (sample) this.#record(sample);
        if (this.#probe === 'sent') this.#probe = 'off';
        this.#grant();
      },
    };
  }

  #record(sample: Sample): void {
    const now = this.#now();
    let baseline = this.#baselines.get(sample.route);
    if (baseline === undefined) {
      baseline = new RollingMinimum(BUCKET_MS, BUCKETS);
      this.#baselines.set(sample.route, baseline);
    }
    baseline.add(sample.ms, now);
    const window = this.#window;
    window.times.push({ ms: sample.ms, baseline: Math.max(baseline.value ?? sample.ms, 0.001) });
    if (sample.overload) window.overloads += 1;
    if (window.times.length < Math.max(MIN_SAMPLES, this.limit) && now - window.start < WINDOW_MAX_MS) return;
    // An answer is read as late as this process's event loop lags: that is not the upstream queueing.
    const lag = window.lag();
    const ratio = median(window.times.map(({ ms, baseline }) => Math.max(1, (ms - lag) / baseline)));
    this.#state = nextLimit(
      this.#state,
      {
        samples: window.times.length,
        ratio,
        overloads: window.overloads,
        limited: window.limited || this.queued > 0,
        busy: window.busy(),
      },
      { min: 1, max: this.#options.max },
    );
    this.#lastRatio = ratio;
    this.#window = this.#newWindow();
  }

  /** Grants permits to waiters while there is room, `first` ones ahead. */
  #grant(): void {
    const now = this.#now();
    if (this.#probe === 'off' && this.queued > 0 && now >= this.#probeAt) {
      this.#probe = 'draining';
      this.#probeAt = now + PROBE_EVERY_MS * (0.5 + this.#options.random());
    }
    if (this.#probe === 'draining') {
      if (this.#inFlight > 0) return;
      this.#probe = 'sent';
      this.#next()?.grant();
    } else if (this.#probe === 'off') {
      while (this.#inFlight < this.limit) {
        const waiter = this.#next();
        if (waiter === undefined) break;
        waiter.grant();
      }
    }
    this.#noteWaiting();
  }

  #next(): Waiter | undefined {
    return this.#waiting.first.shift() ?? this.#waiting.normal.shift();
  }

  #newWindow(): SampleWindow {
    return {
      start: this.#now(),
      times: [],
      overloads: 0,
      limited: false,
      busy: this.#busyMeter(),
      lag: this.#lagMeter(),
    };
  }

  /** Reports once when requests have been waiting for SATURATED_MS on end, then no more often than REPORT_EVERY_MS. */
  #noteWaiting(): void {
    const now = this.#now();
    if (this.queued === 0) {
      this.#waitingSince = undefined;
      return;
    }
    this.#waitingSince ??= now;
    if (now - this.#waitingSince < SATURATED_MS || now - this.#reportedAt < REPORT_EVERY_MS) return;
    this.#reportedAt = now;
    this.#options.onSaturated?.({
      limit: this.limit,
      inFlight: this.#inFlight,
      queued: this.queued,
      ratio: this.#lastRatio,
    });
  }
}
