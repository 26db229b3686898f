import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as outage } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createQueues, type Queues } from '../../src/queues.ts';
import { type RedisServer, startRedisServer } from '../../src/redis-server.ts';
import { replayOrder } from '../../src/replay.ts';
import type { SimFaults } from '../../src/sim/server.ts';
import { createUpstream } from '../../src/upstream.ts';
import { cleanupAfterEach } from '../helpers/cleanup.ts';
import { type LongRunning, runCli, spawnCli } from '../helpers/cli.ts';
import { childEnv, EXACT, invariants, type SimHarness, startSim, testConfig } from '../helpers/pipeline.ts';
import { type FaultProxy, startProxy } from '../helpers/proxy.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The fault matrix: a few hundred orders through real worker processes, a redis-server the test
 * owns and the simulator, while something breaks. After each, the promises are checked.
 */
const ORDERS = 300;
const STOCK = { oak: 150, maple: 100_000, birch: 100_000, pine: 100_000 }; // oak short: blocked; elm none: closed

interface Run {
  readonly h: SimHarness;
  readonly redis: RedisServer;
  readonly queues: Queues;
  readonly processes: LongRunning[];
  readonly proxies: { orders: FaultProxy; stocks: FaultProxy } | undefined;
}

const cleanup = cleanupAfterEach();

const results: Record<string, unknown>[] = [];
afterAll(() => {
  const dir = new URL('../../test-artifacts/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('fault-matrix.json', dir), `${JSON.stringify(results, null, 2)}\n`);
});

async function start(options: {
  roles: string[];
  sim?: SimFaults;
  env?: Record<string, string>;
  proxy?: boolean;
}): Promise<Run> {
  const redis = await startRedisServer({ appendOnly: true });
  cleanup(() => redis.destroy());
  const h = await startSim({ orders: ORDERS, stock: STOCK, seed: 11 }, { errorRate: 0, ...options.sim });
  cleanup(() => h.sim.close());
  const proxies = options.proxy
    ? { orders: await startProxy(h.sim.orderUrl), stocks: await startProxy(h.sim.stockUrl) }
    : undefined;
  if (proxies) cleanup(async () => Promise.all([proxies.orders.close(), proxies.stocks.close()]).then(() => {}));
  const config = testConfig(h.sim, {
    REDIS_URL: redis.url,
    ...(proxies ? { API_URL_ORDERS: proxies.orders.url, API_URL_STOCKS: proxies.stocks.url } : {}),
    JOB_LOCK_MS: '2000',
    HTTP_TIMEOUT_MS: '1000',
    RETRY_ATTEMPTS: '20',
    RETRY_BACKOFF_MS: '20',
    RETRY_BACKOFF_MAX_MS: '500',
    INTERVAL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '20',
    PAGE_SIZE: '50',
    ...options.env,
  });
  const queues = createQueues(config, 'blocking', createLogger('error'));
  cleanup(() => queues.close());
  const env = childEnv(config);
  if (!options.roles.includes('start')) expect((await runCli(['scheduler'], env)).code).toBe(0);
  const processes = options.roles.map((role) => spawnCli([role], env));
  cleanup(async () => {
    for (const proc of processes) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await Promise.all(processes.map((proc) => proc.exited));
  });
  return { h, redis, queues, processes, proxies };
}

const shipped = (run: Run, count: number) =>
  waitFor(`${count} orders shipped`, () => run.h.store.countByStatus().shipped >= count, { timeoutMs: 60_000 });

/** Waits until no job is waiting or running and the failed set is exactly the orders still registered. */
function settle(run: Run) {
  return waitFor(
    'every order to leave registered or wait in the failed set',
    async () => {
      const counts = await run.queues.orders.getJobCounts('waiting', 'active', 'delayed');
      if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) > 0) return undefined;
      const failed = await run.queues.orders.getFailed(0, -1);
      const ids = failed.map((job) => job.data.orderId).sort((a, b) => a - b);
      const registered = [...run.h.store.orders.values()]
        .filter((order) => order.order_status === 'registered')
        .map((order) => order.id)
        .sort((a, b) => a - b);
      return JSON.stringify(ids) === JSON.stringify(registered) ? failed : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
}

const UNCERTAIN = 'may or may not have happened';

/**
 * Settles, checks that the failed set is exactly the orders still registered, each for a stated
 * reason; resolves the decreases of unknown outcome as an operator would after checking the stock
 * (here the simulator knows), settles again, then checks the stock is exact and records the row.
 */
async function settleAndCheck(name: string, run: Run) {
  const failed = await settle(run);
  const uncertain = failed.filter((job) => job.failedReason.includes(UNCERTAIN));
  const exhausted = failed.filter((job) => job.attemptsMade >= (job.opts.attempts ?? 1));
  expect(uncertain.length + exhausted.length).toBe(failed.length);
  expect(invariants(run.h).doubleDecreases).toEqual([]);

  const upstream = createUpstream(testConfig(run.h.sim));
  try {
    for (const job of uncertain) {
      const { orderId } = job.data;
      const taken = run.h.store.decreasesByKey.has(`order-${orderId}-decrease`);
      const report = await replayOrder(
        { orderApi: upstream.orderApi, queues: run.queues },
        String(orderId),
        taken ? 'decreased' : 'not-decreased',
      );
      expect(report.result).toBe('retried');
    }
  } finally {
    await upstream.close();
  }
  const after = await settle(run);
  const held = invariants(run.h);
  results.push({
    fault: name,
    orders: ORDERS,
    statuses: run.h.store.countByStatus(),
    failedSet: failed.length,
    failedUncertain: uncertain.length,
    failedExhausted: exhausted.length,
    leftAfterResolving: after.length,
    excessStock: held.excess,
    doubleDecreases: held.doubleDecreases.length,
  });
  expect(held.excess).toEqual(EXACT);
  expect(held.doubleDecreases).toEqual([]);
  return { failed: failed.length, uncertain: uncertain.length };
}

describe('fault matrix', () => {
  it('kill -9 of a worker mid-jobs: another recovers its stalled jobs', async () => {
    const run = await start({
      roles: ['worker', 'worker'],
      sim: { errorRate: 0, latencyMs: 30, honourIdempotencyKey: false },
    });
    await shipped(run, 50);
    run.processes[0]?.child.kill('SIGKILL');
    await settleAndCheck('kill -9 worker', run);
    expect(run.h.store.countByStatus().registered).toBeLessThan(ORDERS / 5);
  });

  it('SIGTERM under load: active jobs finish, nothing is lost', async () => {
    const run = await start({
      roles: ['worker', 'worker'],
      sim: { errorRate: 0, latencyMs: 30, honourIdempotencyKey: false },
    });
    await shipped(run, 50);
    run.processes[0]?.child.kill('SIGTERM');
    expect(await run.processes[0]?.exited).toBe(0);
    const { failed } = await settleAndCheck('SIGTERM worker', run);
    expect(failed).toBe(0);
  });

  it('Redis stopped for 3 s mid-cycle and restarted (AOF on): workers and scheduler resume', async () => {
    const run = await start({
      roles: ['worker', 'worker'],
      sim: { errorRate: 0, latencyMs: 10, honourIdempotencyKey: false },
    });
    await shipped(run, 50);
    await run.redis.stop();
    await outage(3000);
    await run.redis.start();
    await settleAndCheck('Redis down 3 s', run);
    expect(run.h.store.countByStatus().registered).toBeLessThan(ORDERS / 5);
  });

  it('upstream refusing connections, then timing out, then back', async () => {
    const run = await start({
      roles: ['worker', 'worker'],
      proxy: true,
      sim: { errorRate: 0, latencyMs: 10 },
      env: { STOCK_IDEMPOTENCY_KEYS: 'honoured', HTTP_TIMEOUT_MS: '400' },
    });
    const proxies = run.proxies as NonNullable<Run['proxies']>;
    await shipped(run, 50);
    await Promise.all([proxies.orders.set('refuse'), proxies.stocks.set('refuse')]);
    await outage(2000);
    await Promise.all([proxies.orders.set('hang'), proxies.stocks.set('hang')]);
    await outage(2000);
    await Promise.all([proxies.orders.set('up'), proxies.stocks.set('up')]);
    const { failed } = await settleAndCheck('upstream down (refused, then timeouts)', run);
    expect(failed).toBe(0);
  });

  it('ERROR_RATE 0.3 on the simulator and the workers together', async () => {
    const run = await start({
      roles: ['worker', 'worker'],
      sim: { errorRate: 0.3, honourIdempotencyKey: false },
      env: { ERROR_RATE: '0.3', CYCLE_ERROR_RATE: '0.3' },
    });
    const { failed } = await settleAndCheck('ERROR_RATE 0.3 both sides', run);
    expect(failed).toBe(0);
  });

  it('3 worker replicas and 2 schedulers: one schedule, one active cycle, each order once', async () => {
    const run = await start({
      roles: ['start', 'start', 'worker'],
      sim: { errorRate: 0, latencyMs: 5, honourIdempotencyKey: false },
    });
    const { failed } = await settleAndCheck('3 workers + 2 schedulers', run);
    expect(failed).toBe(0);
    expect(await run.queues.cycles.getJobSchedulers()).toHaveLength(1);
    expect(run.h.store.listings.maxInFlight).toBe(1);
    const completed = await run.queues.orders.getCompleted(0, -1);
    expect(new Set(completed.map((job) => job.processedBy)).size).toBe(3);
  });
});
