import { withCleanup } from './cleanup.ts';
import { shippedConfig } from './config.ts';
import type { BenchContext } from './context.ts';
import { waitDrained } from './drain.ts';
import { traceMajorGcs } from './gc-trace.ts';
import { spawnOm } from './om-workers.ts';
import { flushRedis, resetCommandStats } from './redis.ts';
import { type SimPlan, startBenchSim, upstreamFigures } from './sim.ts';
import { type ThroughputRun, workerRunFigures } from './throughput-run.ts';
import { workerProcessOptions } from './worker-process.ts';

/**
 * ONE `ordermanagement start` process in the shipped defaults (telemetry on as in the image, nothing
 * exported), on a fresh simulator: timed from its spawn until no order is registered, start-up,
 * the schedule's registration and the first cycle included.
 */
export function measureOmStart(ctx: BenchContext, plan: Omit<SimPlan, 'seed'>): Promise<ThroughputRun> {
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const bench = await startBenchSim(cleanup, { ...plan, seed: ctx.settings.seed });
    const config = shippedConfig(ctx, bench.sim);
    await resetCommandStats(ctx.admin);
    const started = performance.now();
    const child = spawnOm(cleanup, config, 'start', 'ordermanagement start', {
      telemetry: true,
      ...workerProcessOptions(ctx.settings, 'om'),
    });
    const gcTrace = traceMajorGcs(child);
    await waitDrained(bench.store, plan.orders, ctx.progress, () => child.assertAlive());
    const figures = await workerRunFigures(ctx.admin, plan.orders, started, [child], [gcTrace]);
    return { ...figures, upstream: upstreamFigures(bench, plan.orders) };
  });
}
