import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { WoodType } from '../src/domain/order.ts';
import { defaultJobOptions } from '../src/queue/queues.ts';
import { BARE_JOB, BARE_QUEUE, type BareJobData, GO_LINE, READY_LINE } from './bare-job.ts';
import { spawnNode } from './child.ts';
import { withCleanup } from './cleanup.ts';
import { benchConfig, workerEnv } from './config.ts';
import type { BenchContext } from './context.ts';
import { waitDrained } from './drain.ts';
import { traceMajorGcs } from './gc-trace.ts';
import { benchRedis, flushRedis, resetCommandStats } from './redis.ts';
import { type SimPlan, startBenchSim, upstreamFigures } from './sim.ts';
import { type ThroughputRun, workerRunFigures } from './throughput-run.ts';
import { workerProcessOptions } from './worker-process.ts';

const BARE_WORKER = fileURLToPath(new URL('./bare-worker.ts', import.meta.url));
const ADD_BATCH = 1000;

export interface BareSetup extends Pick<SimPlan, 'orders' | 'latencyMs' | 'stock' | 'capacity'> {
  readonly concurrency: number;
  readonly processes: number;
  /** Start the clock when the processes are spawned (as for a client whose start-up counts), not at `go`. */
  readonly timedFromSpawn?: boolean;
}

/**
 * The bare ceiling: worker processes connected first (untimed); then the clock starts, the workers
 * are told to go and this process adds one job per order in batches, as a producer would; the clock
 * stops when no order is registered. Adding is timed because ordermanagement's fan-out is timed too:
 * the ratio then shows what ordermanagement costs beyond what any BullMQ pipeline must pay.
 */
export function measureBare(ctx: BenchContext, setup: BareSetup): Promise<ThroughputRun> {
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const { timedFromSpawn, concurrency, processes, ...plan } = setup;
    const bench = await startBenchSim(cleanup, { ...plan, seed: ctx.settings.seed });
    const { store, sim } = bench;
    const config = benchConfig(ctx, sim, { WORKER_CONCURRENCY: String(concurrency) });
    const connection = benchRedis(config.redisUrl, 'blocking');
    cleanup.add('bare queue connection', () => connection.disconnect());
    const queue = new Queue<BareJobData>(BARE_QUEUE, {
      connection,
      prefix: config.queuePrefix,
      defaultJobOptions: defaultJobOptions(config),
    });
    cleanup.add('bare queue', () => queue.close());
    const jobs = [...store.orders.values()].map((order) => ({
      name: BARE_JOB,
      data: { orderId: order.id, woodType: order.wood_type as WoodType, quantity: order.quantity },
    }));
    await queue.waitUntilReady();

    const spawned = performance.now();
    const workers = Array.from({ length: processes }, (_, i) => {
      const { nodeFlags, logDir } = workerProcessOptions(ctx.settings, 'bare');
      const child = spawnNode(`bare worker ${i + 1}`, [...nodeFlags, BARE_WORKER], workerEnv(config), logDir);
      cleanup.add(`bare worker ${i + 1}`, () => child.stop());
      return child;
    });
    await Promise.all(workers.map((w) => w.waitForLine((line) => line === READY_LINE, 30_000)));
    const gcTraces = workers.map(traceMajorGcs);
    await resetCommandStats(ctx.admin);
    const started = timedFromSpawn ? spawned : performance.now();
    for (const worker of workers) worker.send(GO_LINE);
    let addFailed: unknown;
    const adding = (async () => {
      for (let i = 0; i < jobs.length; i += ADD_BATCH) await queue.addBulk(jobs.slice(i, i + ADD_BATCH));
    })().catch((error: unknown) => {
      addFailed = error;
    });
    await waitDrained(store, setup.orders, ctx.progress, () => {
      if (addFailed !== undefined) throw addFailed;
      for (const worker of workers) worker.assertAlive();
    });
    await adding;
    const figures = await workerRunFigures(ctx.admin, setup.orders, started, workers, gcTraces);
    return { ...figures, upstream: upstreamFigures(bench, setup.orders) };
  });
}
