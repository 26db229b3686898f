import { writeFileSync } from 'node:fs';
import { setTimeout as outage } from 'node:timers/promises';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { type RedisServer, startRedisServer } from '../../cli/redis-server.ts';
import { createUpstream } from '../../src/clients/upstream.ts';
import type { WoodType } from '../../src/domain/order.ts';
import { createLogger } from '../../src/logger.ts';
import { createQueues, type Queues } from '../../src/queue/queues.ts';
import { replayOrder } from '../../src/queue/replay.ts';
import { createRandom } from '../../src/random.ts';
import type { SimFaults } from '../../src/sim/server.ts';
import type { Ledger } from '../../src/stock/ledger.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { isRunning, type LongRunning, runCli, spawnCli } from '../helpers/cli.ts';
import {
  attribute,
  childEnv,
  EXACT,
  invariants,
  ledgerOf,
  type SimHarness,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { type FaultProxy, startProxy } from '../helpers/proxy.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The fault matrix: hundreds of orders through real worker processes, a redis-server the test owns,
 * and the simulator as the reference services behave (decreases not atomic, Idempotency-Key
 * ignored, ERROR_RATE 0.2 on the simulator and the workers), while something breaks. After each,
 * the promises are checked: stock taken equals the shipped quantities, no order decreased twice,
 * every order shipped, blocked or closed, or waiting for a person with the facts.
 */
const ORDERS = 300;
const STOCK = { oak: 150, maple: 100_000, birch: 100_000, pine: 100_000 }; // oak short: blocked; elm none: closed

interface Run {
  readonly h: SimHarness;
  readonly redis: RedisServer;
  readonly queues: Queues;
  readonly ledger: Ledger;
  readonly env: NodeJS.ProcessEnv;
  readonly processes: LongRunning[];
  readonly proxies: { orders: FaultProxy; stocks: FaultProxy } | undefined;
  kills: number;
  redisKills: number;
}

const results: Record<string, unknown>[] = [];
afterAll(() => {
  writeFileSync(artifactPath('fault-matrix.json'), `${JSON.stringify(results, null, 2)}\n`);
});

async function start(options: {
  workers: number;
  sim?: Partial<SimFaults>;
  env?: Record<string, string>;
  proxy?: boolean;
  orders?: number;
  appendOnly?: boolean;
  roles?: string[];
}): Promise<Run> {
  const redis = await startRedisServer({ appendOnly: options.appendOnly ?? true });
  onTestFinished(() => redis.destroy());
  const h = await startSim(
    { orders: options.orders ?? ORDERS, stock: STOCK, seed: 11 },
    { errorRate: 0.2, nonAtomic: true, honourIdempotencyKey: false, latencyMs: 5, ...options.sim },
  );
  onTestFinished(() => h.sim.close());
  const proxies = options.proxy
    ? { orders: await startProxy(h.sim.orderUrl), stocks: await startProxy(h.sim.stockUrl) }
    : undefined;
  if (proxies) onTestFinished(async () => Promise.all([proxies.orders.close(), proxies.stocks.close()]).then(() => {}));
  const config = testConfig(h.sim, {
    REDIS_URL: redis.url,
    ...(proxies ? { API_URL_ORDERS: proxies.orders.url, API_URL_STOCKS: proxies.stocks.url } : {}),
    ERROR_RATE: '0.2',
    CYCLE_ERROR_RATE: '0.2',
    HTTP_TIMEOUT_MS: '500',
    JOB_LOCK_MS: '2000',
    STOCK_LOCK_LEASE_MS: '1500',
    RETRY_ATTEMPTS: '20',
    RETRY_BACKOFF_MS: '20',
    RETRY_BACKOFF_MAX_MS: '500',
    INTERVAL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '20',
    PAGE_SIZE: '50',
    ...options.env,
  });
  const queues = createQueues(config, 'blocking', createLogger('error'));
  onTestFinished(() => queues.close());
  const env = childEnv(config);
  const run: Run = {
    h,
    redis,
    queues,
    ledger: ledgerOf(queues.redis, config),
    env,
    processes: [],
    proxies,
    kills: 0,
    redisKills: 0,
  };
  const roles = options.roles ?? Array.from({ length: options.workers }, () => 'worker');
  if (!roles.includes('start')) expect((await runCli(['scheduler'], env)).code).toBe(0);
  for (const role of roles) run.processes.push(spawnCli([role], env));
  return run;
}

/** kill -9 one worker process and start another in its place. */
function killWorker(run: Run, index: number): void {
  const victim = run.processes[index];
  victim?.child.kill('SIGKILL');
  run.processes.push(spawnCli(['worker'], run.env));
  run.kills += 1;
}

const finalCount = (h: SimHarness) => {
  const { shipped, blocked, closed } = h.store.countByStatus();
  return shipped + blocked + closed;
};

const progressed = (run: Run, count: number) =>
  waitFor(`${count} orders final`, () => finalCount(run.h) >= count, { timeoutMs: 90_000 });

/** Waits until no order job is pending and the failed set is exactly the orders still registered. */
function settle(run: Run) {
  return waitFor(
    'every order to be final or wait in the failed set',
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
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

const PERSON = 'may or may not have happened';

/**
 * Settles, checks that every order still registered waits for a person with the facts, answers for
 * them as a person would after checking (here the simulator knows), settles again, then checks the
 * stock and records the row.
 */
async function settleAndCheck(
  name: string,
  run: Run,
  options: { fromDecrease?: number; added?: Partial<Record<WoodType, number>> } = {},
) {
  const failed = await settle(run);
  const person = failed.filter((job) => job.failedReason.includes(PERSON));
  expect(
    failed.map((job) => `order ${job.data.orderId}: ${job.failedReason}`).filter((reason) => !reason.includes(PERSON)),
  ).toEqual([]);
  const waiting = await run.ledger.waitingForPerson();
  const stats = await run.ledger.stats();

  // The person answers once the upstream is calm.
  run.h.options.errorRate = 0;
  const upstream = createUpstream(testConfig(run.h.sim));
  try {
    const taken = new Set(run.h.store.decreaseLog.map(({ key }) => key));
    for (const entry of waiting) {
      const [first] = entry.orders;
      const report = await replayOrder(
        { orderApi: upstream.orderApi, queues: run.queues, ledger: run.ledger },
        String(first),
        taken.has(entry.id) ? 'decreased' : 'not-decreased',
      );
      expect(report.result).toBe('retried');
    }
  } finally {
    await upstream.close();
  }
  const after = await settle(run);
  const held = invariants(run.h, options.added);
  const attribution = await attribute(run.h, run.ledger, options.fromDecrease);
  const row = {
    fault: name,
    orders: run.h.store.orders.size,
    workerKills: run.kills,
    redisKills: run.redisKills,
    statuses: run.h.store.countByStatus(),
    inDoubt: stats.resolvedTaken + stats.resolvedNotTaken + stats.resentWithKey + stats.toPerson,
    selfResolved: stats.resolvedTaken + stats.resolvedNotTaken + stats.resentWithKey,
    waitingForPerson: waiting.length,
    ordersWaitingForPerson: person.length,
    leftAfterAnswers: after.length,
    excessStock: held.excess,
    doubleDecreases: attribution.decreasedTwice.length,
    unattributedDecreases: attribution.unattributed.length,
  };
  results.push(row);
  expect(after).toEqual([]);
  expect(held.excess).toEqual(EXACT);
  expect(attribution.decreasedTwice).toEqual([]);
  expect(attribution.unattributed).toEqual([]);
  return { ...row, waiting };
}

describe('fault matrix', () => {
  it('workers killed with -9 while jobs wait for the stock lock: nothing is in doubt that was not sent', async () => {
    const run = await start({ workers: 2, sim: { latencyMs: 30 } });
    await progressed(run, 50);
    killWorker(run, 0);
    await progressed(run, 150);
    killWorker(run, 1);
    const row = await settleAndCheck('kill -9 workers mid-jobs', run);
    expect(row.waitingForPerson).toBe(0);
    // Jobs queued behind the lock in a killed process left nothing behind: at most one decrease per
    // wood type per kill can have been in flight.
    expect(row.inDoubt).toBeLessThanOrEqual(2 * 5 + 20);
  });

  it('failed jobs removed after a second while the Stock API cuts connections after decreasing', async () => {
    const run = await start({
      workers: 2,
      sim: { decreaseResetAfterCommitRate: 0.2 },
      env: { KEEP_FAILED_SECONDS: '1' },
    });
    const row = await settleAndCheck('KEEP_FAILED_SECONDS=1, connection reset after the decrease', run);
    expect(row.waitingForPerson).toBe(0);
    expect(row.selfResolved).toBeGreaterThan(10);
  });

  it('a Stock API that takes the stock and answers 500 (its refresh failed after the commit)', async () => {
    const run = await start({ workers: 2, sim: { decreaseFailAfterCommitRate: 0.3 } });
    const row = await settleAndCheck('500 after the decrease took effect', run);
    expect(row.waitingForPerson).toBe(0);
    // Decreases go in batches, each in doubt as one.
    expect(row.selfResolved).toBeGreaterThan(5);
  });

  it('stock lock keys broken under their holders (release and fencing fail with WRONGTYPE)', async () => {
    const run = await start({ workers: 2, sim: { latencyMs: 10 } });
    // A lock key turned into a list while held: its holder's release and ledger writes fail.
    let broken = 0;
    const breaker = setInterval(() => {
      void run.queues.redis
        .eval(
          `local n = 0
           for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
             if redis.call('TYPE', key)['ok'] == 'string' then
               local v = redis.call('GET', key); redis.call('DEL', key)
               redis.call('RPUSH', key, v); redis.call('PEXPIRE', key, 100); n = n + 1
             end
           end
           return n`,
          0,
          `${run.env.QUEUE_PREFIX}:stock-lock:*`,
        )
        .then(
          (n) => {
            broken += Number(n);
          },
          () => {},
        );
    }, 150);
    onTestFinished(() => clearInterval(breaker));
    await progressed(run, 200);
    clearInterval(breaker);
    expect(broken).toBeGreaterThan(10);
    const row = await settleAndCheck('lock released or fenced against a broken key', run);
    expect(row.waitingForPerson).toBe(0);
  });

  it('refuses unsafe timings at start: a job lock or stock-lock lease shorter than a request', async () => {
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const env = childEnv(testConfig(h.sim));
    const jobLock = await runCli(['worker'], { ...env, JOB_LOCK_MS: '1' });
    expect(jobLock.code).toBe(78);
    expect(jobLock.stderr).toContain('JOB_LOCK_MS: must be at least HTTP_TIMEOUT_MS + 1000 = 6000 (got 1)');
    const lease = await runCli(['worker'], { ...env, HTTP_TIMEOUT_MS: '20000', STOCK_LOCK_LEASE_MS: '15000' });
    expect(lease.code).toBe(78);
    expect(lease.stderr).toContain('STOCK_LOCK_LEASE_MS: must be at least HTTP_TIMEOUT_MS + 1000 = 21000 (got 15000)');
    results.push({ fault: 'unsafe timings (JOB_LOCK_MS=1, lease < request)', refusedAtStart: true, exitCode: 78 });
  });

  it('Redis restarted without persistence: the workers notice the lost schedule and put it back', async () => {
    const run = await start({ workers: 2, appendOnly: false, orders: 100 });
    await settle(run);
    const before = await attribute(run.h, run.ledger);
    expect({ twice: before.decreasedTwice, unattributed: before.unattributed }).toEqual({
      twice: [],
      unattributed: [],
    });
    const decreasesBefore = run.h.store.decreaseLog.length;
    await run.redis.stop('kill');
    run.redisKills += 1;
    await run.redis.start();
    // New orders arrive after the restart; only a schedule put back by the workers reaches them.
    const types = ['maple', 'birch', 'pine'] as const;
    for (let i = 0; i < 50; i++) run.h.store.createOrder(types[i % 3] as WoodType, 1 + (i % 5));
    await waitFor('the new orders to be final', () => finalCount(run.h) === 150, { timeoutMs: 60_000 });
    expect(run.processes.some((proc) => proc.output().includes('the cycle schedule is gone'))).toBe(true);
    const row = await settleAndCheck('Redis restarted without persistence (schedule re-created)', run, {
      fromDecrease: decreasesBefore,
    });
    expect(row.waitingForPerson).toBe(0);
  });

  it('combined: 600 orders, 3 workers killed with -9 again and again, one Redis kill -9 and restart with AOF', async () => {
    const run = await start({
      workers: 3,
      orders: 600,
      sim: { latencyMs: 10, decreaseResetAfterCommitRate: 0.05, decreaseFailAfterCommitRate: 0.05 },
    });
    const random = createRandom(5);
    for (const [i, share] of [0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9].entries()) {
      await progressed(run, Math.floor(600 * share));
      if (i === 3) {
        await run.redis.stop('kill');
        run.redisKills += 1;
        await run.redis.start();
      }
      const alive = run.processes.map((proc, index) => ({ proc, index })).filter(({ proc }) => isRunning(proc));
      killWorker(run, (alive[Math.floor(random() * alive.length)] ?? alive[0])?.index ?? 0);
    }
    const row = await settleAndCheck('combined: 3 workers kill -9 x7, Redis kill -9 once (AOF)', run);
    expect(row.workerKills).toBe(7);
    expect(row.waitingForPerson).toBe(0);
  });

  it('stock added from outside while a worker died mid-decrease: exactly those decreases wait for a person', async () => {
    const run = await start({ workers: 2, sim: { latencyMs: 10, decreaseResetAfterCommitRate: 0.1 } });
    const woodKey = `${run.env.QUEUE_PREFIX}:ledger:wood:maple`;
    const touched: string[] = [];
    for (const share of [0.2, 0.45, 0.7]) {
      await progressed(run, ORDERS * share);
      // Kill the worker whose maple decrease is in flight, then a delivery of 1000 maple lands before
      // the next holder of the lock resolves that decrease.
      const { pending, victim } = await waitFor(
        'a maple decrease in flight',
        async () => {
          const id = await run.queues.redis.hget(woodKey, 'pending');
          const entry = id === null ? undefined : await run.ledger.entry(id);
          // Only a live sender: a doubt still pending from the last kill would be counted, and stocked, twice.
          const proc = run.processes.find((p) => isRunning(p) && entry?.sentBy.endsWith(`:${p.child.pid}`));
          return id !== null && proc ? { pending: id, victim: proc } : undefined;
        },
        { intervalMs: 1 },
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
      run.kills += 1;
      run.processes.push(spawnCli(['worker'], run.env));
      await waitFor(
        'the Stock API to finish what it was handling',
        () => !run.h.store.decreasesInFlight.now.get('maple'),
      );
      if ((await run.queues.redis.hget(woodKey, 'pending')) !== pending) continue;
      touched.push(pending);
      run.h.store.addStock('maple', 1000);
    }
    const row = await settleAndCheck('stock added from outside after kill -9 mid-decrease (maple)', run, {
      added: { maple: touched.length * 1000 },
    });
    expect(touched.length).toBeGreaterThan(0);
    expect(row.waiting.map((entry) => entry.id).sort()).toEqual([...touched].sort());
  });

  it('SIGTERM under load: active jobs finish, waiting ones are handed back, nothing is lost', async () => {
    const run = await start({ workers: 2, sim: { latencyMs: 30 } });
    await progressed(run, 50);
    run.processes[0]?.child.kill('SIGTERM');
    expect(await run.processes[0]?.exited).toBe(0);
    const row = await settleAndCheck('SIGTERM worker', run);
    expect(row.waitingForPerson).toBe(0);
  });

  it('Redis stopped for 3 s mid-cycle and restarted (AOF on): workers and scheduler resume', async () => {
    const run = await start({ workers: 2, sim: { latencyMs: 10 } });
    await progressed(run, 50);
    await run.redis.stop();
    await outage(3000);
    await run.redis.start();
    const row = await settleAndCheck('Redis down 3 s', run);
    expect(row.waitingForPerson).toBe(0);
  });

  it('upstream refusing connections, then timing out, then back', async () => {
    const run = await start({ workers: 2, proxy: true, sim: { latencyMs: 10 } });
    const proxies = run.proxies as NonNullable<Run['proxies']>;
    await progressed(run, 50);
    await Promise.all([proxies.orders.set('refuse'), proxies.stocks.set('refuse')]);
    await outage(2000);
    await Promise.all([proxies.orders.set('hang'), proxies.stocks.set('hang')]);
    await outage(2000);
    await Promise.all([proxies.orders.set('up'), proxies.stocks.set('up')]);
    const row = await settleAndCheck('upstream down (refused, then timeouts)', run);
    expect(row.waitingForPerson).toBe(0);
  });

  it('3 worker replicas and 2 schedulers: one schedule, one active cycle, each order once', async () => {
    const run = await start({ workers: 3, roles: ['start', 'start', 'worker'], sim: { errorRate: 0 } });
    const row = await settleAndCheck('3 workers + 2 schedulers', run);
    expect(row.waitingForPerson).toBe(0);
    expect(await run.queues.cycles.getJobSchedulers()).toHaveLength(1);
    expect(run.h.store.listings.maxInFlight).toBe(1);
    const completed = await run.queues.orders.getCompleted(0, -1);
    expect(new Set(completed.map((job) => job.processedBy)).size).toBe(3);
  });
});
