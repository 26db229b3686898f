import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../../cli/redis-server.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { durabilityProblems } from '../../src/redis/durability.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { attribute, childEnv, EXACT, invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 10_000, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 };

describe('a Redis that could lose what the ledger holds', () => {
  it.each([
    ['maxmemory_policy:allkeys-lru\naof_enabled:1', false, ['maxmemory-policy is allkeys-lru']],
    ['maxmemory_policy:volatile-ttl\naof_enabled:0', true, ['maxmemory-policy is volatile-ttl']],
    ['maxmemory_policy:noeviction\naof_enabled:0', false, ['keeps no append-only file']],
    ['maxmemory_policy:noeviction\naof_enabled:0', true, []],
    ['maxmemory_policy:noeviction\naof_enabled:1', false, []],
  ])('%j with REDIS_ALLOW_NO_AOF=%s: %j', (info, allow, problems) => {
    const found = durabilityProblems(info, { redisAllowNoAof: allow });
    expect(found).toHaveLength(problems.length);
    for (const [i, problem] of problems.entries()) expect(found[i]).toContain(problem);
  });

  it('is refused at start with exit 78 and the setting named: eviction, then no AOF unless allowed', async () => {
    const h = await startSim({ orders: 0, stock: STOCK });
    onTestFinished(() => h.sim.close());
    const redis = await startRedisServer({ appendOnly: true });
    onTestFinished(() => redis.destroy());
    const admin = new Redis(redis.url);
    onTestFinished(() => admin.disconnect());
    const env = childEnv(testConfig(h.sim, { REDIS_URL: redis.url }));

    await admin.config('SET', 'maxmemory', '3mb');
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const evicting = await runCli(['worker'], env);
    expect(evicting.code).toBe(78);
    expect(evicting.stderr).toContain('maxmemory-policy is allkeys-lru');

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'appendonly', 'no');
    const volatile = await runCli(['worker'], env);
    expect(volatile.code).toBe(78);
    expect(volatile.stderr).toContain('keeps no append-only file');
    expect(volatile.stderr).toContain('REDIS_ALLOW_NO_AOF');

    const allowed = spawnCli(['worker'], { ...env, REDIS_ALLOW_NO_AOF: 'true', LOG_LEVEL: 'info' });
    await waitFor('the worker to start', () => allowed.output().includes('workers started'));
  });
});

describe('a Redis that lost its data while workers run', () => {
  it('stops every decrease at once, until a person accepts the loss; then the orders go on', async () => {
    const h = await startSim({ orders: 10, stock: STOCK });
    onTestFinished(() => h.sim.close());
    // A Redis of its own: the test flushes it.
    const redis = await startRedisServer({ appendOnly: true });
    onTestFinished(() => redis.destroy());
    const admin = new Redis(redis.url);
    onTestFinished(() => admin.disconnect());
    const { logger, lines } = capturingLogger('warn');
    const config = testConfig(h.sim, { REDIS_URL: redis.url, RETRY_BACKOFF_MAX_MS: '300' });
    const p = await startPipeline(config, logger);
    onTestFinished(() => p.close());
    const ready = async () => (await p.workers.readinessChecks.ledger?.()) === true;
    await enqueueOrders(p.queues, [1, 2, 3]);
    await waitFor('three orders to ship', () => h.store.countByStatus().shipped === 3);
    expect(await ready()).toBe(true);

    await admin.flushall();
    await waitFor('the workers to notice the loss', async () => !(await ready()));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: expect.stringContaining('Redis lost the decrease ledger') }),
    );
    // Orders that come now wait, attempts untouched, and nothing is taken.
    const taken = h.store.decreaseLog.length;
    await enqueueOrders(p.queues, [4, 5]);
    await waitFor('the new jobs to wait for a person', async () => (await p.queues.orders.getDelayedCount()) === 2);
    expect(h.store.decreaseLog).toHaveLength(taken);
    expect(h.store.countByStatus().blocked).toBe(0);

    const env = childEnv(config);
    const asked = await runCli(['accept-loss'], env);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('Then run: ordermanagement accept-loss --checked');
    expect(await ready()).toBe(false);
    const accepted = await runCli(['accept-loss', '--checked'], env);
    expect(accepted.code).toBe(0);
    await waitFor('the workers to go on', ready);
    for (const job of await p.queues.orders.getDelayed()) await job.promote();
    await waitFor('the waiting orders to ship', () => h.store.countByStatus().shipped === 5);
    expect((await runCli(['accept-loss'], env)).stdout).toContain('has lost nothing');
  });
});

describe('two deployments on one Redis and one upstream', () => {
  it('serialise their decreases against each other, take each order once, and say so', async () => {
    const h = await startSim({ orders: 120, stock: STOCK }, { errorRate: 0, nonAtomic: true, latencyMs: 2 });
    onTestFinished(() => h.sim.close());
    const a = await startPipeline(testConfig(h.sim, { QUEUE_PREFIX: '{omA}' }));
    onTestFinished(() => a.close());
    const { logger, lines } = capturingLogger('warn');
    const b = await startPipeline(testConfig(h.sim, { QUEUE_PREFIX: '{omB}' }), logger);
    onTestFinished(() => b.close());
    expect(lines).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('another deployment'), otherQueuePrefix: '{omA}' }),
    );
    const ids = [...h.store.orders.keys()];
    await Promise.all([enqueueOrders(a.queues, ids), enqueueOrders(b.queues, ids)]);
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 120);
    await waitFor('both deployments to finish', async () => {
      const counts = await Promise.all([a, b].map((p) => p.queues.orders.getJobCounts('active', 'waiting', 'delayed')));
      return counts.every((c) => (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) === 0);
    });
    expect(Math.max(...h.store.decreasesInFlight.most.values())).toBe(1);
    expect(invariants(h).excess).toEqual(EXACT);
    expect((await attribute(h, a.ledger)).decreasedTwice).toEqual([]);
  });
});
