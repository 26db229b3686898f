import { configEnv } from '../src/config/describe.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import type { Simulator } from '../src/sim/server.ts';
import type { BenchContext } from './context.ts';

let runCounter = 0;

/** The WORKER_CONCURRENCY ordermanagement ships with: scenarios that measure one shape use it. */
export const SHIPPED_CONCURRENCY = loadConfig({}).concurrency;

/**
 * The configuration of one measured run: the bench's Redis and simulator, a queue prefix no other
 * run shares, no simulated failures, a cycle every second so orders skipped by paging are taken soon.
 * Everything else is as shipped: decreases serialized and coalesced per wood type, against a simulator
 * that loses concurrent updates like the reference Stock API (bench/sim.ts).
 */
export function benchConfig(ctx: BenchContext, sim: Simulator, env: Record<string, string> = {}): Config {
  return runConfig(ctx, sim, { INTERVAL_SECONDS: '1', LOG_LEVEL: ctx.settings.logLevel }, env);
}

/**
 * The shipped defaults (a cycle every 5 s, LOG_LEVEL info...) on the bench's Redis and simulator,
 * with no simulated failures: what a user who only points ordermanagement at the services runs.
 */
export function shippedConfig(ctx: BenchContext, sim: Simulator, env: Record<string, string> = {}): Config {
  return runConfig(ctx, sim, {}, env);
}

function runConfig(
  ctx: BenchContext,
  sim: Simulator,
  benchDefaults: Record<string, string>,
  env: Record<string, string>,
): Config {
  runCounter += 1;
  return loadConfig({
    REDIS_URL: ctx.redis.url,
    API_URL_ORDERS: sim.orderUrl,
    API_URL_STOCKS: sim.stockUrl,
    QUEUE_PREFIX: `{bench-${process.pid}-${runCounter}}`,
    ERROR_RATE: '0',
    CYCLE_ERROR_RATE: '0',
    RANDOM_SEED: '7',
    ...benchDefaults,
    // BENCH_WORKER_ENV may change any default, but not what a scenario sets on purpose.
    ...ctx.settings.workerEnv,
    ...env,
  });
}

/** Environment for a child process that should join the queues and the simulator of `config`. */
export function workerEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...configEnv(config), ...extra };
}
