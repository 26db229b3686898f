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
 * The simulator decreases stock atomically, which is the case the setting's own documentation says
 * to run without the per-wood-type lock; the lock's cost is measured on its own (scenarios/stock-lock.ts).
 */
export function benchConfig(ctx: BenchContext, sim: Simulator, env: Record<string, string> = {}): Config {
  runCounter += 1;
  return loadConfig({
    REDIS_URL: ctx.redis.url,
    API_URL_ORDERS: sim.orderUrl,
    API_URL_STOCKS: sim.stockUrl,
    QUEUE_PREFIX: `{bench-${process.pid}-${runCounter}}`,
    ERROR_RATE: '0',
    CYCLE_ERROR_RATE: '0',
    INTERVAL_SECONDS: '1',
    RANDOM_SEED: '7',
    LOG_LEVEL: ctx.settings.logLevel,
    SERIALIZE_STOCK_DECREASES: 'false',
    // BENCH_WORKER_ENV may change any default, but not what a scenario sets on purpose.
    ...ctx.settings.workerEnv,
    ...env,
  });
}

/** Environment for a child process that should join the queues and the simulator of `config`. */
export function workerEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...configEnv(config), ...extra };
}
