/**
 * A capacity model of the reference services. They are threaded Flask apps over SQLite: every request
 * in flight gets a thread, and the threads share one interpreter lock. So a service works on all its
 * requests at once, each at 1/n of its speed (processor sharing): throughput stays at one request per
 * service time whatever the concurrency, latency grows with the number in flight, and a request whose
 * client gave up is still carried out. Past the knee it gets slower still (lock convoys, SQLite's
 * write lock): each request in flight adds `contention` to every request's service time.
 */

/** Service time per kind of request, in ms of the service's own time. */
export interface ServiceTimes {
  /** GET /orders/<id>, GET /stocks/<wood_type>, the health checks. */
  readonly read: number;
  /** PUT /orders/<id>, POST /orders/, POST /stocks/. */
  readonly write: number;
  /** POST /stocks/decrease. */
  readonly decrease: number;
  /** A list request: `list` plus `listItem` per element it returns. */
  readonly list: number;
  readonly listItem: number;
}

export type RequestKind = Exclude<keyof ServiceTimes, 'listItem'>;

export interface CapacityModel {
  readonly serviceMs: ServiceTimes;
  /** How much each further request in flight slows every request down (0.0016: ×1.4 at 256). */
  readonly contention: number;
  /** Multiplies every service time: 10 makes the service ten times slower (a test may change it while it runs). */
  slowdown: number;
}

/**
 * The reference services as the contract measured them on a 2-core machine: GET /orders/<id> 480/s,
 * PUT 180/s, POST /stocks/decrease 117/s falling to 83/s at 256 in flight, GET /stocks/<type> 419/s,
 * a 1,000-order page about 13 ms.
 */
export function referenceCapacity(): CapacityModel {
  return {
    serviceMs: { read: 2.1, write: 5.5, decrease: 8.5, list: 1, listItem: 0.012 },
    contention: 0.0016,
    slowdown: 1,
  };
}

const EPSILON_MS = 1e-6;

/** Time as the processor reads it: the real clock, or a test's virtual one. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

interface Job {
  remaining: number;
  readonly done: () => void;
}

/**
 * One service's interpreter: every request in it advances at the same share of its speed. Time is
 * kept from the clock, so late timers do not lose capacity: work is accounted for by the clock.
 */
export class SharedProcessor {
  readonly #model: CapacityModel;
  readonly #clock: Clock;
  readonly #jobs = new Set<Job>();
  #last: number;
  #timer: unknown;

  constructor(model: CapacityModel, clock: Clock = realClock) {
    this.#model = model;
    this.#clock = clock;
    this.#last = clock.now();
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#jobs.size;
  }

  /** Resolves once `workMs` of this service's time has been spent on the request. */
  serve(workMs: number): Promise<void> {
    this.#advance();
    return new Promise((resolve) => {
      this.#jobs.add({ remaining: Math.max(workMs, 0), done: resolve });
      this.#schedule();
    });
  }

  /** Wall-clock ms one unit of work takes for each request while `n` are in flight. */
  #stretch(n: number): number {
    return n * (1 + this.#model.contention * (n - 1)) * this.#model.slowdown;
  }

  #advance(): void {
    const now = this.#clock.now();
    let elapsed = now - this.#last;
    this.#last = now;
    // Below a nanosecond, what is left of the interval is rounding: stopping there keeps it from looping.
    while (elapsed > EPSILON_MS && this.#jobs.size > 0) {
      const stretch = this.#stretch(this.#jobs.size);
      const least = Math.min(...[...this.#jobs].map((job) => job.remaining));
      const step = Math.min(least, elapsed / stretch);
      elapsed -= step * stretch;
      for (const job of this.#jobs) {
        job.remaining -= step;
        if (job.remaining <= EPSILON_MS) {
          this.#jobs.delete(job);
          job.done();
        }
      }
    }
  }

  #schedule(): void {
    this.#clock.clearTimer(this.#timer);
    if (this.#jobs.size === 0) return;
    const least = Math.min(...[...this.#jobs].map((job) => job.remaining));
    this.#timer = this.#clock.setTimer(
      () => {
        this.#advance();
        this.#schedule();
      },
      Math.max(0, least * this.#stretch(this.#jobs.size)),
    );
  }
}
