import { setTimeout as sleep } from 'node:timers/promises';
import { WOOD_TYPES } from '../../src/domain/order.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { createRandom } from '../../src/random.ts';
import { withCleanup } from '../cleanup.ts';
import { benchConfig, SHIPPED_CONCURRENCY } from '../config.ts';
import type { BenchContext } from '../context.ts';
import { assertAllAlive, startOmWorkers } from '../om-workers.ts';
import { attempt, type Outcome } from '../outcome.ts';
import { flushRedis } from '../redis.ts';
import type { BenchSettings } from '../settings.ts';
import { startBenchSim, TimedStore } from '../sim.ts';
import { percentile } from '../stats.ts';
import { waitUntil } from '../wait.ts';
import { workerProcessOptions } from '../worker-process.ts';

export interface LatencyRun {
  readonly orders: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LatencyResult {
  readonly rate: number;
  readonly seconds: number;
  readonly concurrency: number;
  readonly intervalSeconds: number;
  readonly runs: Outcome<LatencyRun>[];
}

const INTERVAL_SECONDS = 1;
/** After the last order is registered, it needs at most one interval plus its processing to ship. */
const SETTLE_TIMEOUT_MS = 60_000;

export function latencyWeight(settings: BenchSettings): number {
  return settings.runs * (settings.latencySeconds + 6);
}

/**
 * Scenario 3. Orders are registered at a steady rate straight into the simulator's store (it runs in
 * this process), one worker process at the default concurrency takes them, a cycle every second;
 * the store notes when each order was registered and when its status changed.
 */
export async function runLatency(ctx: BenchContext): Promise<LatencyResult> {
  const { latencyRate: rate, latencySeconds: seconds, runs } = ctx.settings;
  const concurrency = SHIPPED_CONCURRENCY;
  const result: LatencyResult = { rate, seconds, concurrency, intervalSeconds: INTERVAL_SECONDS, runs: [] };
  for (let run = 0; run < runs; run++) {
    ctx.progress.step(`latency run ${run + 1}/${runs} · ${rate} orders/s for ${seconds} s`, seconds + 6);
    result.runs.push(await attempt(ctx.neighbours, `latency run ${run + 1}`, () => latencyOnce(ctx, concurrency, run)));
  }
  return result;
}

function latencyOnce(ctx: BenchContext, concurrency: number, run: number): Promise<LatencyRun> {
  const { latencyRate: rate, latencySeconds: seconds, seed } = ctx.settings;
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const { store, sim } = await startBenchSim(cleanup, { orders: 0, latencyMs: 0, seed, store: new TimedStore() });
    const config = benchConfig(ctx, sim, {
      WORKER_CONCURRENCY: String(concurrency),
      INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    });
    const queues = createQueues(config, 'blocking', ctx.logger);
    cleanup.add('queues', () => queues.close());
    const workers = await startOmWorkers(cleanup, config, queues, {
      count: 1,
      env: ctx.settings.workerEnv,
      ...workerProcessOptions(ctx.settings, 'om'),
    });
    await upsertCycleScheduler(queues.cycles, config);

    const random = createRandom(seed + run);
    const total = rate * seconds;
    const started = performance.now();
    // Each order has its own due time, so a late timer does not slow the rate down, it catches up.
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const woodType = WOOD_TYPES[Math.floor(random() * WOOD_TYPES.length)] as string;
      store.createOrder(woodType, 1 + Math.floor(random() * 10));
      if (i % rate === 0) {
        assertAllAlive(workers);
        ctx.progress.update(i / total, `${i}/${total} registered, ${store.settledAt.size} shipped`);
      }
    }
    await waitUntil('every order to ship', () => store.settledAt.size >= total, {
      timeoutMs: SETTLE_TIMEOUT_MS,
      intervalMs: 20,
      onPoll: () => assertAllAlive(workers),
    });
    const latencies = [...store.registeredAt]
      .map(([id, at]) => (store.settledAt.get(id) as number) - at)
      .sort((a, b) => a - b);
    return {
      orders: latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] as number,
    };
  });
}
