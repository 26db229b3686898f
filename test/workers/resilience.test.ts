import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../../cli/redis-server.ts';
import { createLogger } from '../../src/logger.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { spawnCli } from '../helpers/cli.ts';
import { childEnv, EXACT, invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

describe('resilience', () => {
  it('on SIGTERM finishes the jobs whose decrease is under way, hands back those waiting for a lock, and exits 0', async () => {
    const h = await startSim({ orders: 8, stock: { oak: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    for (const order of h.store.orders.values()) order.wood_type = order.id <= 4 ? 'oak' : 'pine';
    // One request per order: with requests coalesced, every order waiting when the lock is granted goes along.
    const config = testConfig(h.sim, { WORKER_CONCURRENCY: '8', STOCK_BATCH_MAX: '1' });
    const queues = createQueues(config, 'blocking', createLogger('error'));
    onTestFinished(async () => {
      await queues.orders.obliterate({ force: true });
      await queues.close();
    });
    const spawn = () => {
      const worker = spawnCli(['worker'], childEnv(config));
      return worker;
    };
    // Slow decreases: one per wood type is under way, the other six wait for their wood type's lock.
    h.options.decreaseAnswerDelayMs = 600;
    const first = spawn();
    await enqueueOrders(queues, [...h.store.orders.keys()]);
    await waitFor('a decrease of each wood type under way', () => h.store.decreaseLog.length === 2);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await queues.orders.getCompletedCount()).toBe(2);
    expect(h.store.countByStatus().shipped).toBe(2);
    expect(h.store.decreaseLog).toHaveLength(2);
    // The six handed back wait for another worker; nothing of them was sent.
    expect(await queues.orders.getJobCountByTypes('delayed', 'waiting')).toBe(6);

    h.options.decreaseAnswerDelayMs = 0;
    spawn();
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 8);
    expect(h.store.decreaseLog).toHaveLength(8);
    expect(invariants(h).excess).toEqual(EXACT);
  });

  it('survives a Redis restart mid-cycle: workers reconnect and finish every order', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    onTestFinished(() => redis.destroy());
    const h = await startSim(
      { orders: 200, stock: { oak: 10_000, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 } },
      { errorRate: 0, latencyMs: 10 },
    );
    onTestFinished(() => h.sim.close());
    // A job that finished while Redis was down lost its lock and stays active until the stalled-job
    // check gives it to a worker again, every JOB_LOCK_MS: 30 s by default, which put this test a
    // few runs in five at its 60 s deadline. The shortest lock the configuration allows keeps it far.
    const p = await startPipeline(
      testConfig(h.sim, {
        REDIS_URL: redis.url,
        WORKER_CONCURRENCY: '10',
        PAGE_SIZE: '50',
        JOB_LOCK_MS: '6000',
      }),
    );
    onTestFinished(() => p.close());
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
