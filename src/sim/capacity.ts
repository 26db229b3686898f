/**
 * A capacity model of the reference services. They are threaded Flask apps over SQLite: every request
 * in flight gets a thread, and the threads share one interpreter lock, which passes from thread to
 * thread every switch interval (Python's 5 ms). So a service works on one request at a time, in turns
 * of at most `sliceMs` (round robin): throughput stays at one request per service time whatever the
 * concurrency, latency grows with the number in flight, and a request whose client gave up is still
 * carried out. Because requests finish one after another, not all together, the service keeps working
 * while a finished request's client sends its next one: measured on the real Order API, PUT throughput
 * is the same at 4 in flight as at 16. Past the knee it gets slower still (lock convoys, SQLite's
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
  /** The most wall-clock ms one request is served before the next in line has its turn (the interpreter's switch interval). */
  readonly sliceMs: number;
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
    sliceMs: 5,
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
  /** Work left, in ms of the service's own time (before contention and slowdown). */
  remaining: number;
  /** Wall-clock ms left of its current turn. */
  turn: number;
  readonly done: () => void;
}

/**
 * One service's interpreter: requests take turns of at most `sliceMs` of wall-clock time, in the order
 * they came. Time is kept from the clock, so late timers do not lose capacity, and a timer fires at
 * least every turn, so a change of `slowdown` counts from within one turn of when it was made.
 */
export class SharedProcessor {
  readonly #model: CapacityModel;
  readonly #clock: Clock;
  /** Requests in flight, the one being served first. */
  readonly #jobs: Job[] = [];
  #last: number;
  #timer: unknown;

  constructor(model: CapacityModel, clock: Clock = realClock) {
    if (!(model.sliceMs > 0 && Number.isFinite(model.sliceMs)))
      throw new RangeError(`capacity model: sliceMs must be a positive number of ms, not ${model.sliceMs}`);
    this.#model = model;
    this.#clock = clock;
    this.#last = clock.now();
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#jobs.length;
  }

  /** Resolves once `workMs` of this service's time has been spent on the request. */
  serve(workMs: number): Promise<void> {
    if (!Number.isFinite(workMs)) throw new RangeError(`capacity model: work must be a number of ms, not ${workMs}`);
    this.#advance();
    return new Promise((resolve) => {
      this.#jobs.push({ remaining: Math.max(workMs, 0), turn: this.#model.sliceMs, done: resolve });
      this.#schedule();
    });
  }

  /** Wall-clock ms one unit of work takes while `n` requests are in flight. */
  #stretch(n: number): number {
    const stretch = (1 + this.#model.contention * (n - 1)) * this.#model.slowdown;
    if (!(stretch > 0 && Number.isFinite(stretch)))
      throw new RangeError(`capacity model: slowdown and contention must keep work positive, not ${stretch}`);
    return stretch;
  }

  #advance(): void {
    const now = this.#clock.now();
    let elapsed = now - this.#last;
    this.#last = now;
    for (;;) {
      const job = this.#jobs[0];
      if (job === undefined) return;
      // Below a nanosecond, what is left of the interval is rounding: stopping there keeps it from looping.
      if (elapsed <= EPSILON_MS && job.remaining > EPSILON_MS && job.turn > EPSILON_MS) return;
      const stretch = this.#stretch(this.#jobs.length);
      // Whichever runs out first: the time elapsed, the job's turn, or its work.
      const wall = Math.max(0, Math.min(elapsed, job.turn, job.remaining * stretch));
      elapsed -= wall;
      job.turn -= wall;
      job.remaining -= wall / stretch;
      if (job.remaining <= EPSILON_MS) {
        this.#jobs.shift();
        job.done();
      } else if (job.turn <= EPSILON_MS) {
        this.#jobs.shift();
        job.turn = this.#model.sliceMs;
        this.#jobs.push(job);
      }
    }
  }

  #schedule(): void {
    this.#clock.clearTimer(this.#timer);
    const job = this.#jobs[0];
    if (job === undefined) return;
    this.#timer = this.#clock.setTimer(
      () => {
        this.#advance();
        this.#schedule();
      },
      Math.max(0, Math.min(job.turn, job.remaining * this.#stretch(this.#jobs.length))),
    );
  }
}
