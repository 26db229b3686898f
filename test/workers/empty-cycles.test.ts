import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { CYCLE_SCHEDULER_ID } from '../../src/queue/jobs.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { spawnCli } from '../helpers/cli.ts';
import { childEnv, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

describe('cycles that add no order', () => {
  it('are removed by the next cycle: the completed cycles are those that did work, and at most the latest empty one', async () => {
    // Elm has no stock row and birch too little: the cycle that did the work has three outcomes.
    const h = await startSim({ orders: 60, stock: { oak: 1000, maple: 1000, pine: 1000, birch: 20 } });
    onTestFinished(() => h.sim.close());
    const p = await startPipeline(testConfig(h.sim, { INTERVAL_SECONDS: '0.2' }));
    onTestFinished(() => p.close());
    await upsertCycleScheduler(p.queues.cycles, p.config);
    await waitFor('every order to be processed', () => h.store.countByStatus().registered === 0);
    const cycles = async () => (await p.queues.cycles.getJobScheduler(CYCLE_SCHEDULER_ID))?.iterationCount ?? 0;
    const from = await cycles();
    await waitFor('ten more cycles, all empty', async () => (await cycles()) >= from + 10);

    const completed = await p.queues.cycles.getJobs(['completed']);
    const working = completed.filter((job) => job.returnvalue.enqueued > 0);
    expect(working.reduce((sum, job) => sum + job.returnvalue.enqueued, 0)).toBe(60);
    expect(completed.length - working.length).toBeLessThanOrEqual(1);
    const outcomes = working.reduce(
      (sum, job) => {
        for (const outcome of ['shipped', 'blocked', 'closed'] as const)
          sum[outcome] += job.returnvalue.outcomes[outcome];
        return sum;
      },
      { shipped: 0, blocked: 0, closed: 0 },
    );
    const { shipped, blocked, closed } = h.store.countByStatus();
    expect(outcomes).toEqual({ shipped, blocked, closed });
    expect(outcomes.blocked * outcomes.closed * outcomes.shipped).toBeGreaterThan(0);
  });

  it('are counted in ordermanagement.cycle.empty', async () => {
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { INTERVAL_SECONDS: '0.2' });
    const metricsPort = await freePort();
    const proc = spawnCli(['start'], childEnv(config, { METRICS_PORT: String(metricsPort) }));
    const empty = await waitFor(
      'three empty cycles counted',
      async () => {
        const scrape = await request(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
        const count = Number(
          /^ordermanagement_cycle_empty_total(?:\{[^}]*\})? (\d+)$/m.exec((await scrape?.body.text()) ?? '')?.[1],
        );
        return count >= 3 ? count : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(empty).toBeGreaterThanOrEqual(3);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
