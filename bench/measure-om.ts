import { createQueues } from '../src/queue/queues.ts';
import { upsertCycleScheduler } from '../src/queue/scheduler.ts';
import { withCleanup } from './cleanup.ts';
import { benchConfig } from './config.ts';
import type { BenchContext } from './context.ts';
import { cycleFanOuts } from './cycle-log.ts';
import { waitDrained } from './drain.ts';
import { traceMajorGcs } from './gc-trace.ts';
import { assertAllAlive, startOmWorkers } from './om-workers.ts';
import { flushRedis, resetCommandStats } from './redis.ts';
import { startBenchSim, upstreamFigures } from './sim.ts';
import { type ThroughputRun, workerRunFigures } from './throughput-run.ts';
import { workerProcessOptions } from './worker-process.ts';

export interface OmSetup {
  readonly orders: number;
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly processes: number;
  /** Run the workers with telemetry (off: OTEL_SDK_DISABLED=true). */
  readonly telemetry?: boolean;
  /** Worker variables on top of the bench's: the OTLP endpoint, a setting under comparison. */
  readonly env?: Record<string, string>;
}

/**
 * ordermanagement end to end: worker processes started and connected first (untimed), then the clock
 * starts as the cycle schedule is registered, and stops when the simulator has no registered order.
 */
export function measureOm(ctx: BenchContext, setup: OmSetup): Promise<ThroughputRun> {
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const bench = await startBenchSim(cleanup, {
      orders: setup.orders,
      latencyMs: setup.latencyMs,
      seed: ctx.settings.seed,
    });
    const { store, sim } = bench;
    const config = benchConfig(ctx, sim, { WORKER_CONCURRENCY: String(setup.concurrency), ...setup.env });
    const queues = createQueues(config, 'blocking', ctx.logger);
    cleanup.add('queues', () => queues.close());
    const workers = await startOmWorkers(cleanup, config, queues, {
      count: setup.processes,
      telemetry: setup.telemetry ?? false,
      env: { ...ctx.settings.workerEnv, ...setup.env },
      ...workerProcessOptions(ctx.settings, 'om'),
    });
    const gcTraces = workers.map(traceMajorGcs);
    await resetCommandStats(ctx.admin);
    const started = performance.now();
    const startedEpochMs = Date.now();
    await upsertCycleScheduler(queues.cycles, config);
    await waitDrained(store, setup.orders, ctx.progress, () => assertAllAlive(workers));
    const figures = await workerRunFigures(ctx.admin, setup.orders, started, workers, gcTraces);
    const cycles = (await cycleFanOuts(queues, startedEpochMs)).filter((c) => c.enqueued > 0);
    return { ...figures, cycles, upstream: upstreamFigures(bench, setup.orders) };
  });
}
