import { describe, expect, it } from 'vitest';
import { enqueueOrders } from '../../src/enqueue.ts';
import { createLogger } from '../../src/logger.ts';
import { createQueues } from '../../src/queues.ts';
import { startRedisServer } from '../../src/redis-server.ts';
import { upsertCycleScheduler } from '../../src/scheduler.ts';
import { cleanupAfterEach } from '../helpers/cleanup.ts';
import { spawnCli } from '../helpers/cli.ts';
import { childEnv, EXACT, invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanup = cleanupAfterEach();

describe('resilience', () => {
  it('finishes active jobs on SIGTERM, then exits 0', async () => {
    const h = await startSim({ orders: 8, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    cleanup(() => h.sim.close());
    const config = testConfig(h.sim, { WORKER_CONCURRENCY: '8' });
    const queues = createQueues(config, 'blocking', createLogger('error'));
    cleanup(async () => {
      await queues.orders.obliterate({ force: true });
      await queues.close();
    });
    // Slow answers keep all eight jobs active when the signal arrives.
    h.options.latencyMs = 400;
    const worker = spawnCli(['worker'], childEnv(config));
    cleanup(async () => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
    });
    await enqueueOrders(queues, [...h.store.orders.keys()]);
    await waitFor('eight active jobs', async () => (await queues.orders.getActiveCount()) === 8);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await queues.orders.getCompletedCount()).toBe(8);
    expect(h.store.countByStatus().shipped).toBe(8);
  });

  it('survives a Redis restart mid-cycle: workers reconnect and finish every order', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    cleanup(() => redis.destroy());
    const h = await startSim(
      { orders: 200, stock: { oak: 10_000, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 } },
      { errorRate: 0, latencyMs: 10 },
    );
    cleanup(() => h.sim.close());
    const p = await startPipeline(
      testConfig(h.sim, { REDIS_URL: redis.url, WORKER_CONCURRENCY: '10', PAGE_SIZE: '50' }),
    );
    cleanup(() => p.close());
    await upsertCycleScheduler(p.queues.cycles, p.config);
    await waitFor('some orders shipped', () => h.store.countByStatus().shipped >= 40);

    await redis.stop();
    await waitFor('the workers to notice', () => p.queues.redis.status !== 'ready');
    await redis.start();

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0, {
      timeoutMs: 60_000,
    });
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
    expect(h.store.countByStatus().shipped).toBe(200);
  });
});
