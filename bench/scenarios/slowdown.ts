import { setTimeout as sleep } from 'node:timers/promises';
import { referenceCapacity } from '../../src/sim/capacity.ts';
import { withCleanup } from '../cleanup.ts';
import { shippedConfig } from '../config.ts';
import type { BenchContext } from '../context.ts';
import { freePort } from '../free-port.ts';
import { spawnOm } from '../om-workers.ts';
import { attempt, type Outcome } from '../outcome.ts';
import { buckets, type PromSample, quantileBetween, scrape, seriesValue } from '../prometheus.ts';
import { flushRedis } from '../redis.ts';
import type { BenchSettings } from '../settings.ts';
import { startBenchSim } from '../sim.ts';
import { workerProcessOptions } from '../worker-process.ts';

/** How much slower the upstream gets in the middle phase. */
export const SLOWDOWN_FACTOR = 10;
/** More orders than the process can ship at the model's full speed: the backlog never runs out. */
const BACKLOG_PER_SECOND = 300;

/** An upstream's limiter as the worker's /metrics showed it. */
export interface LimiterReading {
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
}

/** One second of the run, read at its end. */
export interface SlowdownSample {
  /** Seconds since the process was spawned. */
  readonly t: number;
  /** The model's slowdown during this second. */
  readonly slowdown: number;
  /** Orders no longer registered, in all. */
  readonly done: number;
  readonly ordersPerSecond: number;
  readonly order?: LimiterReading;
  readonly stock?: LimiterReading;
  /** Median time of the PUT /orders/<id> answers of this second, from the client's histogram (ms). */
  readonly orderPutP50Ms?: number;
}

export interface SlowdownRun {
  readonly orders: number;
  readonly samples: SlowdownSample[];
  /** Seconds whose scrape did not answer (start-up, a busy process). */
  readonly missedScrapes: number;
}

export interface SlowdownResult {
  readonly factor: number;
  readonly seconds: BenchSettings['slowdownSeconds'];
  readonly run: Outcome<SlowdownRun>;
}

export function slowdownWeight(settings: BenchSettings): number {
  const { before, slow, after } = settings.slowdownSeconds;
  return before + slow + after + 2;
}

/**
 * How the adaptive limit follows an upstream that slows down: ONE `ordermanagement start` in the
 * shipped defaults (metrics on) against the capacity model with a backlog larger than it can ship;
 * after `before` seconds every service time is multiplied by SLOWDOWN_FACTOR for `slow` seconds, then
 * restored. The worker's /metrics is scraped every second.
 */
export async function runSlowdown(ctx: BenchContext): Promise<SlowdownResult> {
  const { slowdownSeconds: seconds } = ctx.settings;
  ctx.progress.step(
    `slowdown · ×${SLOWDOWN_FACTOR} from ${seconds.before} s for ${seconds.slow} s`,
    slowdownWeight(ctx.settings),
  );
  const run = await attempt(ctx.neighbours, 'slowdown', () => slowdownOnce(ctx));
  return { factor: SLOWDOWN_FACTOR, seconds, run };
}

function limiterOf(samples: readonly PromSample[], upstream: string): LimiterReading | undefined {
  const read = (what: string) => seriesValue(samples, `ordermanagement_upstream_${what}`, { upstream });
  const [limit, inFlight, queued] = [read('concurrency_limit'), read('in_flight'), read('queued')];
  return limit === undefined || inFlight === undefined || queued === undefined
    ? undefined
    : { limit, inFlight, queued };
}

function slowdownOnce(ctx: BenchContext): Promise<SlowdownRun> {
  const { before, slow, after } = ctx.settings.slowdownSeconds;
  const total = before + slow + after;
  const orders = BACKLOG_PER_SECOND * total;
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const capacity = referenceCapacity();
    const bench = await startBenchSim(cleanup, { orders, latencyMs: 0, seed: ctx.settings.seed, capacity });
    const port = await freePort();
    const config = shippedConfig(ctx, bench.sim, { METRICS_PORT: String(port) });
    const url = `http://127.0.0.1:${port}/metrics`;
    const started = performance.now();
    const child = spawnOm(cleanup, config, 'start', 'ordermanagement start', {
      telemetry: true,
      ...workerProcessOptions(ctx.settings, 'om'),
    });
    const samples: SlowdownSample[] = [];
    let missedScrapes = 0;
    let lastPut = new Map<number, number>();
    let lastDone = 0;
    for (let t = 1; t <= total; t++) {
      const wait = started + t * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      child.assertAlive();
      const slowdown = capacity.slowdown;
      if (t === before) capacity.slowdown = SLOWDOWN_FACTOR;
      if (t === before + slow) capacity.slowdown = 1;
      const done = orders - bench.store.countOf('registered');
      const metrics = await scrape(url, 800);
      if (metrics === undefined) missedScrapes += 1;
      const put = metrics
        ? buckets(metrics, 'ordermanagement_upstream_request_duration_seconds', {
            upstream: 'order',
            route: 'PUT /orders/:id',
          })
        : undefined;
      const p50 = put ? quantileBetween(lastPut, put, 0.5) : undefined;
      if (put) lastPut = put;
      const order = metrics && limiterOf(metrics, 'order');
      const stock = metrics && limiterOf(metrics, 'stock');
      samples.push({
        t,
        slowdown,
        done,
        ordersPerSecond: done - lastDone,
        ...(order ? { order } : {}),
        ...(stock ? { stock } : {}),
        ...(p50 === undefined ? {} : { orderPutP50Ms: p50 * 1000 }),
      });
      lastDone = done;
      ctx.progress.update(t / total, `${t}/${total} s, ${done} orders, ×${capacity.slowdown}`);
    }
    if (lastDone >= orders) throw new Error(`the backlog of ${orders} ran out: the figures after it say nothing`);
    return { orders, samples, missedScrapes };
  });
}
