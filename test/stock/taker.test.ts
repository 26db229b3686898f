import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type RedisServer, startRedisServer } from '../../cli/redis-server.ts';
import type { StockApi } from '../../src/clients/stock-api.ts';
import { createUpstream } from '../../src/clients/upstream.ts';
import type { Order, WoodType } from '../../src/domain/order.ts';
import { DecreaseNeedsPerson, ShuttingDown, StockLockTimeout, UpstreamError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createRandom } from '../../src/random.ts';
import type { SimFaults } from '../../src/sim/server.ts';
import { LedgerEpoch } from '../../src/stock/epoch.ts';
import { createLedger, type Ledger } from '../../src/stock/ledger.ts';
import { createStockLock, type StockLock } from '../../src/stock/lock.ts';
import { createStockTaker, type StockTaker } from '../../src/stock/taker.ts';
import { startGate } from '../helpers/gate.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { forgetLedger, type SimHarness, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

// A Redis of its own: the tests count the commands the takers send and break the lock keys.
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const logger = createLogger('error');

/** A ledger of the simulator's Stock API on the test's Redis, its epoch joined, and its lock; forgotten after the test. */
async function stockParts(h: SimHarness, options: { leaseMs: number; keepSeconds?: number }) {
  const ledger = createLedger(redis, {
    stocksUrl: h.sim.stockUrl,
    ordersUrl: h.sim.orderUrl,
    ledgerKeepSeconds: options.keepSeconds ?? 3600,
  });
  onTestFinished(() => forgetLedger(redis, ledger.keys));
  const epoch = new LedgerEpoch(redis, ledger.keys, { logger, worker: 'test' });
  onTestFinished(() => epoch.close());
  await epoch.join();
  return { ledger, epoch, lock: createStockLock(redis, { keys: ledger.keys, leaseMs: options.leaseMs }) };
}

interface Setup {
  readonly h: SimHarness;
  readonly stockApi: StockApi;
  readonly ledger: Ledger;
  readonly epoch: LedgerEpoch;
  readonly lock: StockLock;
  /** A taker as one worker process has it; call again for another replica. */
  replica(overrides?: Partial<Parameters<typeof createStockTaker>[0]>): StockTaker;
}

async function setup(
  faults: SimFaults = { errorRate: 0 },
  options: { timeoutMs?: number; stock?: Partial<Record<WoodType, number>> } = {},
): Promise<Setup> {
  const h = await startSim(
    { orders: 0, stock: options.stock ?? { oak: 1000, pine: 1000, birch: 1000, maple: 1000 } },
    { honourIdempotencyKey: false, ...faults },
  );
  onTestFinished(() => h.sim.close());
  const upstream = createUpstream(testConfig(h.sim, { HTTP_TIMEOUT_MS: String(options.timeoutMs ?? 2000) }));
  onTestFinished(() => upstream.close());
  const { ledger, epoch, lock } = await stockParts(h, { leaseMs: (options.timeoutMs ?? 2000) + 1000 });
  return {
    h,
    stockApi: upstream.stockApi,
    ledger,
    epoch,
    lock,
    replica: (overrides = {}) => {
      const taker = createStockTaker({
        stockApi: upstream.stockApi,
        ledger,
        epoch,
        lock,
        waitMs: 10_000,
        requestTimeoutMs: options.timeoutMs ?? 2000,
        lateDecreaseMs: 1000,
        keysHonoured: false,
        maxBatch: 1,
        batchSpacingMs: 0,
        holdBatches: () => false,
        name: 'test',
        random: createRandom(1),
        logger,
        ...overrides,
      });
      onTestFinished(() => taker.close());
      return taker;
    },
  };
}

let nextId = 1;
const order = (woodType: WoodType, quantity: number): Order => ({
  id: nextId++,
  woodType,
  quantity,
  status: 'registered',
});

async function setCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/^cmdstat_set:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

/**
 * A holder that wrote its ledger entry for `lost` and died before the answer: the entry stays
 * pending, the lock free. `meanwhile` runs while the lock is still held (the request arriving, say).
 */
async function abandonedEntry(s: Setup, lost: Order, meanwhile: () => void = () => {}) {
  const dead = await s.lock.tryAcquire(lost.woodType);
  if (dead === undefined) throw new Error('lock not free');
  const begun = await s.ledger.begin({
    hold: dead,
    woodType: lost.woodType,
    orders: [lost],
    id: randomUUID(),
    level: await s.stockApi.level(lost.woodType),
    needLevel: true,
    sentBy: 'dead',
    epoch: s.epoch.id,
  });
  meanwhile();
  await s.lock.release(dead);
  return begun;
}

describe('the stock taker', () => {
  it('sends one decrease per wood type at a time across replicas, and different wood types at once', async () => {
    const s = await setup({ errorRate: 0, latencyMs: 5, nonAtomic: true });
    const [a, b] = [s.replica(), s.replica()];
    const orders = Array.from({ length: 40 }, (_, i) => order(i % 2 ? 'oak' : 'pine', 1 + (i % 3)));
    const outcomes = await Promise.all(orders.map((o, i) => (i % 4 < 2 ? a : b).take(o)));
    expect(outcomes.every((o) => o === 'shipped')).toBe(true);
    expect(Object.fromEntries(s.h.store.decreasesInFlight.most)).toEqual({ oak: 1, pine: 1 });
    const taken = (type: string) => orders.filter((o) => o.woodType === type).reduce((sum, o) => sum + o.quantity, 0);
    expect(s.h.store.stock.get('oak')).toBe(1000 - taken('oak'));
    expect(s.h.store.stock.get('pine')).toBe(1000 - taken('pine'));
  });

  it('queues the callers of one process, so Redis is asked for the lock once per holding', async () => {
    const s = await setup();
    const taker = s.replica();
    const before = await setCalls();
    await Promise.all(Array.from({ length: 100 }, () => taker.take(order('oak', 1))));
    // One SET per holding: the ledger's writes under the lock only renew its lease.
    expect((await setCalls()) - before).toBe(100);
  });

  it('records each outcome, so the same order is never sent twice, whatever asks again', async () => {
    const s = await setup({ errorRate: 0 }, { stock: { oak: 10, pine: 10 } });
    const taker = s.replica();
    const [enough, short, none] = [order('oak', 4), order('pine', 11), order('elm', 1)];
    expect(await taker.take(enough)).toBe('shipped');
    expect(await taker.take(short)).toBe('blocked');
    expect(await taker.take(none)).toBe('closed');
    // A retry, a replay, an order enqueued again after its job was removed: the ledger answers.
    expect(await s.replica().take(enough)).toBe('shipped');
    expect(await s.replica().take(short)).toBe('blocked');
    expect(s.h.store.decreaseLog).toHaveLength(1);
    expect(s.h.store.stock.get('oak')).toBe(6);
    expect(await s.ledger.order(enough.id)).toMatchObject({ state: 'taken', outcome: 'shipped' });
  });

  it('treats the simulated failure as nothing taken: it throws and leaves no record, so a retry sends again', async () => {
    const s = await setup({ errorRate: 0 });
    let failing = false;
    const stocks = await startGate(s.h.sim.stockUrl, {
      intercept: async ({ method, url }) =>
        failing && method === 'POST' && url.pathname === '/stocks/decrease'
          ? { status: 500, body: { error: 'Simulated DB error during stock decrease' } }
          : undefined,
    });
    onTestFinished(() => stocks.close());
    const gated = createUpstream(testConfig(s.h.sim, { API_URL_STOCKS: stocks.url }));
    onTestFinished(() => gated.close());
    expect(await s.replica({ stockApi: gated.stockApi }).take(order('oak', 1))).toBe('shipped');
    failing = true;
    const o = order('oak', 2);
    const error = await failure(s.replica({ stockApi: gated.stockApi }).take(o));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'transient', statusCode: 500 });
    expect(await s.ledger.order(o.id)).toBeUndefined();
    failing = false;
    expect(await s.replica({ stockApi: gated.stockApi }).take(o)).toBe('shipped');
    expect(s.h.store.stock.get('oak')).toBe(997);
  });

  it('sends nothing while the level cannot be read, and takes it once it can', async () => {
    const s = await setup({ errorRate: 0 });
    expect(await s.replica().take(order('oak', 1))).toBe('shipped');
    s.h.options.errorRate = 1;
    const o = order('oak', 2);
    expect(await failure(s.replica().take(o))).toMatchObject({ kind: 'transient', statusCode: 502 });
    expect(s.h.store.decreaseLog).toHaveLength(1);
    expect(await s.ledger.order(o.id)).toBeUndefined();
    s.h.options.errorRate = 0;
    expect(await s.replica().take(o)).toBe('shipped');
    expect(s.h.store.stock.get('oak')).toBe(997);
  });

  it('resolves a decrease that took effect and answered 500 by the level: taken, once', async () => {
    const s = await setup({ errorRate: 0, decreaseFailAfterCommitRate: 1 });
    const o = order('maple', 7);
    expect(await s.replica().take(o)).toBe('shipped');
    expect(s.h.store.stock.get('maple')).toBe(993);
    expect(s.h.store.decreaseLog).toHaveLength(1);
    expect(await s.ledger.stats()).toMatchObject({ resolvedTaken: 1, toPerson: 0 });
  });

  it('resolves at once a decrease whose connection was cut after it took effect: the level already shows it', async () => {
    const s = await setup({ errorRate: 0, decreaseResetAfterCommitRate: 1 }, { timeoutMs: 2000 });
    const o = order('birch', 3);
    const started = Date.now();
    expect(await s.replica().take(o)).toBe('shipped');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(s.h.store.stock.get('birch')).toBe(997);
    expect(await s.ledger.stats()).toMatchObject({ resolvedTaken: 1 });
  });

  it('waits out the deadline of a decrease that looks not taken, since the Stock API may still apply it', async () => {
    // The request is held on its way for 600 ms; the worker gives up after 300 ms, then the Stock API applies it.
    const s = await setup({ errorRate: 0 }, { timeoutMs: 300 });
    const taker = s.replica();
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    s.h.options.decreaseLatencyMs = 600;
    const started = Date.now();
    // A first look finds the level unchanged; "not taken" would be believed only after 300 + 1000 ms.
    expect(await taker.take(order('oak', 4))).toBe('shipped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1300);
    expect(s.h.store.decreaseLog).toHaveLength(2);
    expect(s.h.store.stock.get('oak')).toBe(995);
    expect(await s.ledger.stats()).toMatchObject({ resolvedTaken: 1 });
  });

  it('sends again a decrease the level shows was not taken (the request was lost on its way)', async () => {
    const s = await setup({ errorRate: 0 });
    const taker = s.replica();
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    // The holder died before the request left.
    const lost = order('oak', 5);
    expect((await abandonedEntry(s, lost)).kind).toBe('send');

    const next = order('oak', 2);
    expect(await taker.take(next)).toBe('shipped');
    expect(await taker.take(lost)).toBe('shipped');
    expect(s.h.store.stock.get('oak')).toBe(1000 - 1 - 2 - 5);
    expect(await s.ledger.stats()).toMatchObject({ resolvedNotTaken: 1 });
  });

  it('resolves the entry of a holder that died after its decrease took effect: the next holder finds it taken', async () => {
    const s = await setup({ errorRate: 0 });
    const taker = s.replica();
    expect(await taker.take(order('pine', 1))).toBe('shipped');
    const crashed = order('pine', 4);
    // The request arrived and took effect; the holder died before the answer.
    await abandonedEntry(s, crashed, () => s.h.store.stock.set('pine', (s.h.store.stock.get('pine') ?? 0) - 4));

    expect(await taker.take(order('pine', 2))).toBe('shipped');
    expect(await taker.take(crashed)).toBe('shipped');
    expect(s.h.store.stock.get('pine')).toBe(1000 - 1 - 4 - 2);
    expect(await s.ledger.order(crashed.id)).toMatchObject({ state: 'taken' });
  });

  it('hands a decrease to a person when the stock changed for another reason while it was in doubt', async () => {
    const s = await setup({ errorRate: 0, decreaseAnswerDelayMs: 1500 }, { timeoutMs: 200 });
    const o = order('elm', 3);
    s.h.store.addStock('elm', 50);
    const taking = failure(s.replica().take(o));
    await waitFor('the decrease to take effect', () => s.h.store.decreaseLog.length === 1);
    s.h.store.addStock('elm', 100); // someone restocks while the answer is lost
    const error = await taking;
    expect(error).toBeInstanceOf(DecreaseNeedsPerson);
    expect(error.message).toContain(`for order ${o.id},`);
    expect(error.message).toContain(
      'the elm level was 50 before it, so taken would leave 47 and not taken 50; it was 147',
    );
    expect(await s.ledger.waitingForPerson()).toEqual([expect.objectContaining({ orders: [o.id], levelFound: 147 })]);
    // The wood type goes on from the level it found; the order in doubt stays with the person.
    expect(await s.replica().take(order('elm', 2))).toBe('shipped');
    expect(s.h.store.stock.get('elm')).toBe(145);
    await expect(s.replica().take(o)).rejects.toBeInstanceOf(DecreaseNeedsPerson);
  });

  it('sends a decrease in doubt again under its key when the Stock API honours keys: taken once', async () => {
    const s = await setup({ errorRate: 0, decreaseResetAfterCommitRate: 1, honourIdempotencyKey: true });
    const o = order('oak', 6);
    expect(await s.replica({ keysHonoured: true }).take(o)).toBe('shipped');
    expect(s.h.store.stock.get('oak')).toBe(994);
    expect(s.h.store.decreaseLog).toHaveLength(1);
    expect(await s.ledger.stats()).toMatchObject({ resentWithKey: 1 });
  });

  it('without the lock, hands a decrease in doubt to a person at once unless keys are honoured', async () => {
    const s = await setup({ errorRate: 0, decreaseFailAfterCommitRate: 1 });
    const o = order('oak', 2);
    await expect(s.replica({ lock: undefined }).take(o)).rejects.toBeInstanceOf(DecreaseNeedsPerson);
    await expect(s.replica({ lock: undefined }).take(o)).rejects.toBeInstanceOf(DecreaseNeedsPerson);
    expect(s.h.store.decreaseLog).toHaveLength(1);
  });

  it('fails an order as transient after STOCK_LOCK_WAIT_MS when another holds the lock, and takes it afterwards', async () => {
    const s = await setup();
    const other = await s.lock.tryAcquire('oak');
    if (other === undefined) throw new Error('lock not free');
    const o = order('oak', 1);
    const error = await failure(s.replica({ waitMs: 150 }).take(o));
    expect(error).toBeInstanceOf(StockLockTimeout);
    expect(error.message).toBe('waited 150 ms for the oak stock lock');
    await s.lock.release(other);
    expect(await s.replica().take(o)).toBe('shipped');
  });

  it('hands back the orders waiting for a lock at close, without sending them', async () => {
    const s = await setup();
    const other = await s.lock.tryAcquire('oak');
    if (other === undefined) throw new Error('lock not free');
    const taker = s.replica();
    const waiting = [order('oak', 1), order('oak', 2)].map((o) => failure(taker.take(o)));
    taker.close();
    for (const error of await Promise.all(waiting)) expect(error).toBeInstanceOf(ShuttingDown);
    await expect(taker.take(order('pine', 1))).rejects.toBeInstanceOf(ShuttingDown);
    expect(s.h.store.decreaseLog).toHaveLength(0);
    await s.lock.release(other);
  });

  it('sends nothing under a lock it lost, and keeps the outcome when releasing the lock fails', async () => {
    const s = await setup({ errorRate: 0, decreaseAnswerDelayMs: 100 });
    const o = order('oak', 3);
    // While the decrease is in flight, the lock key turns into a list: releasing it fails (WRONGTYPE).
    const taking = s.replica().take(o);
    await waitFor('the decrease to take effect', () => s.h.store.decreaseLog.length === 1);
    const key = s.ledger.keys.lock('oak');
    const token = await redis.get(key);
    await redis.del(key);
    await redis.rpush(key, token ?? 'x');
    await redis.pexpire(key, 300);
    expect(await taking).toBe('shipped');
    expect(await s.ledger.order(o.id)).toMatchObject({ state: 'taken' });
    await waitFor('the broken key to expire', async () => (await redis.exists(key)) === 0);
    expect(await s.replica().take(o)).toBe('shipped');
    expect(s.h.store.decreaseLog).toHaveLength(1);

    // A lease that ran out and was taken by another: the next write under it is refused, nothing is sent.
    const other = await s.lock.tryAcquire('oak');
    const lapsed = { key, token: 'lapsed-holder', leaseMs: 1000 };
    const next = {
      hold: lapsed,
      woodType: 'oak' as const,
      orders: [order('oak', 1)],
      id: randomUUID(),
      level: 994,
      needLevel: true,
      sentBy: 'lapsed',
      epoch: s.epoch.id,
    };
    expect(await s.ledger.begin(next)).toEqual({ kind: 'lost' });
    if (other) await s.lock.release(other);
  });
});

describe('the stock taker, against what an adversary tried', () => {
  it('never sends a decrease whose worker paused past its deadline between writing the entry and sending it', async () => {
    const s = await setup({ errorRate: 0 }, { timeoutMs: 300 });
    expect(await s.replica().take(order('oak', 1))).toBe('shipped');
    // A stop-the-world pause of worker A after its entry is written, before its request leaves.
    let resume = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const stalling: StockApi = {
      level: (woodType) => s.stockApi.level(woodType),
      decrease: async (...args) => {
        await paused;
        return s.stockApi.decrease(...args);
      },
    };
    const frozen = order('oak', 6);
    const a = failure(s.replica({ stockApi: stalling }).take(frozen));
    await waitFor('A to have written its entry', async () => (await s.ledger.order(frozen.id))?.state === 'pending');
    // B takes over once A's lease lapses, finds the level unchanged after the deadline: not taken.
    const next = order('oak', 2);
    expect(await s.replica().take(next)).toBe('shipped');
    resume();
    expect(await a).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('not sent: its deadline had passed'),
    });
    expect(await s.replica().take(frozen)).toBe('shipped');
    expect(s.h.store.decreaseLog.map((d) => d.quantity)).toEqual([1, 2, 6]);
    expect(s.h.store.stock.get('oak')).toBe(1000 - 1 - 2 - 6);
  });

  it('judges a doubt on Redis’ clock, so a worker whose clock runs ahead still waits out the deadline', async () => {
    // Decreases are applied 1 s after they are read; the worker gives up on them after 500 ms.
    const s = await setup({ errorRate: 0 }, { timeoutMs: 500 });
    expect(await s.replica().take(order('pine', 1))).toBe('shipped');
    s.h.options.decreaseLatencyMs = 1000;
    const a = s.replica();
    const doubtful = order('pine', 5);
    const taking = failure(a.take(doubtful));
    await waitFor('the decrease to be in doubt', async () => (await s.ledger.order(doubtful.id))?.entry?.doubt);
    a.close(); // A stops while it waits for the doubt to settle: the lock goes back.
    expect((await taking).name).toBe('ShuttingDown');
    const realNow = Date.now;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 5000);
    try {
      expect(await s.replica().take(order('pine', 2))).toBe('shipped');
    } finally {
      vi.restoreAllMocks();
    }
    expect(await s.ledger.order(doubtful.id)).toMatchObject({ state: 'taken' });
    expect(s.h.store.decreaseLog.map((d) => d.quantity)).toEqual([1, 5, 2]);
  });

  it('reads the level right before each decrease: a delivery of the quantity before it cannot hide a lost answer', async () => {
    const s = await setup({ errorRate: 0 }, { timeoutMs: 300 });
    const taker = s.replica();
    expect(await taker.take(order('birch', 1))).toBe('shipped');
    // A supplier replaces what was sold, exactly the quantity of the next order, before it is sent...
    s.h.store.addStock('birch', 7);
    // ...whose answer is then lost (it takes effect, then answers after the worker gave up).
    s.h.options.decreaseAnswerDelayMs = 600;
    const started = Date.now();
    expect(await taker.take(order('birch', 7))).toBe('shipped');
    // Judged against the level read right before it (1006), not the last answer (999): taken, at once.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.h.store.decreaseLog.map((d) => d.quantity)).toEqual([1, 7]);
    expect(s.h.store.stock.get('birch')).toBe(1000 - 1 + 7 - 7);
    expect(await s.ledger.stats()).toMatchObject({ resolvedTaken: 1, resolvedNotTaken: 0 });
  });

  it('keeps an order’s settled record for as long as something keeps asking about it', async () => {
    const s = await setup();
    const { ledger: short } = await stockParts(s.h, { leaseMs: 3000, keepSeconds: 2 });
    const o = order('maple', 3);
    expect(await s.replica({ ledger: short }).take(o)).toBe('shipped');
    const key = `${short.keys.orderPrefix}${o.id}`;
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    await waitFor('the record to near its end', async () => (await redis.pttl(key)) < 1000);
    expect(await short.order(o.id)).toMatchObject({ state: 'taken' });
    expect(await redis.pttl(key)).toBeGreaterThan(1500);
  });

  it('resolves under the lock a decrease left in doubt by a holding without it (serialization switched on)', async () => {
    const s = await setup({ errorRate: 0, decreaseResetAfterCommitRate: 1, honourIdempotencyKey: true });
    const o = order('elm', 4);
    s.h.store.addStock('elm', 100);
    const alone = failure(s.replica({ lock: undefined, keysHonoured: true }).take(o));
    expect((await alone).name).toBe('DecreaseInDoubt');
    s.h.options.decreaseResetAfterCommitRate = 0;
    expect(await s.replica({ keysHonoured: true }).take(o)).toBe('shipped');
    expect(s.h.store.decreaseLog).toHaveLength(1);
    expect(s.h.store.stock.get('elm')).toBe(96);
  });

  it('says so when the stock moved besides its own decreases', async () => {
    const s = await setup();
    const { logger: watching, lines } = capturingLogger('warn');
    const taker = s.replica({ logger: watching });
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    s.h.store.addStock('oak', 50); // a delivery
    expect(await taker.take(order('oak', 2))).toBe('shipped');
    s.h.store.stock.set('oak', (s.h.store.stock.get('oak') ?? 0) - 7); // taken elsewhere
    expect(await taker.take(order('oak', 3))).toBe('shipped');
    expect(lines.map((line) => [line.level, line.drift])).toEqual([
      ['warn', 50],
      ['error', -7],
    ]);
  });
});

describe('the stock taker, against pauses and late answers (issue 20)', () => {
  it('sends an order once when it is taken twice at once, as when its job runs again in the same process', async () => {
    const s = await setup({ errorRate: 0, latencyMs: 20 });
    const taker = s.replica({ maxBatch: 100 });
    const o = order('oak', 3);
    const other = order('oak', 2);
    expect(await Promise.all([taker.take(o), taker.take(other), taker.take(o)])).toEqual([
      'shipped',
      'shipped',
      'shipped',
    ]);
    expect(s.h.store.stock.get('oak')).toBe(1000 - 3 - 2);
    // And the ledger counts a repeated id once, whoever asks: one entry for 3, not 6.
    const twice = order('pine', 4);
    const hold = await s.lock.tryAcquire('pine');
    if (hold === undefined) throw new Error('lock not free');
    const begun = await s.ledger.begin({
      hold,
      woodType: 'pine',
      orders: [twice, twice],
      id: randomUUID(),
      level: 1000,
      needLevel: true,
      sentBy: 'test',
      epoch: s.epoch.id,
    });
    expect(begun).toMatchObject({ kind: 'send', entry: { orders: [twice.id], quantity: 4 } });
    await s.lock.release(hold);
  });

  it('says loudly when a decrease judged not taken lands after all: stock taken twice, flagged and counted', async () => {
    const s = await setup({ errorRate: 0 }, { timeoutMs: 200 });
    const { logger: watching, lines } = capturingLogger('warn');
    const taker = s.replica({ logger: watching, lateDecreaseMs: 300 });
    expect(await taker.take(order('maple', 1))).toBe('shipped');
    // The next decrease is held on its way far longer than its timeout and the late window together.
    s.h.options.decreaseLatencyMs = 2500;
    const late = order('maple', 6);
    const taking = taker.take(late);
    await waitFor('the decrease to be in doubt', async () => (await s.ledger.order(late.id))?.entry?.doubt);
    const first = (await s.ledger.order(late.id))?.entry;
    s.h.options.decreaseLatencyMs = 0;
    // Judged not taken after 200 + 300 ms, and sent again: the order ships.
    expect(await taking).toBe('shipped');
    await waitFor('the first decrease to land after all', () => s.h.store.decreaseLog.length === 3);
    expect(s.h.store.stock.get('maple')).toBe(1000 - 1 - 6 - 6);
    // The next decrease's level read shows the fall: the late one is flagged, named and counted.
    expect(await taker.take(order('maple', 2))).toBe('shipped');
    expect(await s.ledger.entry(first?.id ?? '')).toMatchObject({ state: 'not-taken', takenTwiceLevel: 987 });
    expect(await s.ledger.stats()).toMatchObject({ resolvedNotTaken: 1, takenTwice: 1 });
    expect(lines.filter((line) => line.level === 'error')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('stock taken twice'),
        orders: [late.id],
        lateDecrease: first?.id,
        drift: -6,
      }),
    ]);
  });

  it('is fooled only within one request: a delivery of exactly the quantity while its answer is lost', async () => {
    // The window that remains (README, Guarantees): the decrease takes effect, its answer is lost, and
    // before the holder reads the level again a supplier adds exactly what it took.
    const s = await setup({ errorRate: 0, decreaseResetAfterCommitRate: 1 }, { timeoutMs: 200 });
    let delivered = false;
    const stocks = await startGate(s.h.sim.stockUrl, {
      intercept: async ({ method, url }, forward) => {
        if (method === 'POST' && url.pathname === '/stocks/decrease' && !delivered) {
          delivered = true;
          await forward().catch(() => undefined);
          s.h.store.addStock('elm', 5);
          return { status: 502, body: 'Bad Gateway' };
        }
        return undefined;
      },
    });
    onTestFinished(() => stocks.close());
    s.h.store.addStock('elm', 100);
    const gated = createUpstream(testConfig(s.h.sim, { API_URL_STOCKS: stocks.url }));
    onTestFinished(() => gated.close());
    s.h.options.decreaseResetAfterCommitRate = 0;
    const o = order('elm', 5);
    expect(await s.replica({ stockApi: gated.stockApi, lateDecreaseMs: 100 }).take(o)).toBe('shipped');
    // Taken, the delivery put it back, judged not taken, sent again: taken twice, and nothing can tell.
    expect(s.h.store.decreaseLog.map((d) => d.quantity)).toEqual([5, 5]);
    expect(s.h.store.stock.get('elm')).toBe(100 + 5 - 5 - 5);
    expect(await s.ledger.stats()).toMatchObject({ resolvedNotTaken: 1, takenTwice: 0 });
  });
});

/** What taking `orders` one by one in ascending id order would give, against `stock`. */
function oneByOne(orders: readonly Order[], stock: ReadonlyMap<string, number>): Map<number, string> {
  const left = new Map(stock);
  const outcomes = new Map<number, string>();
  for (const o of [...orders].sort((a, b) => a.id - b.id)) {
    const level = left.get(o.woodType);
    if (level === undefined) outcomes.set(o.id, 'closed');
    else if (o.quantity <= level) {
      outcomes.set(o.id, 'shipped');
      left.set(o.woodType, level - o.quantity);
    } else outcomes.set(o.id, 'blocked');
  }
  return outcomes;
}

describe('the stock taker, coalescing the orders that wait for one wood type', () => {
  it('takes all that wait in one request, with the outcomes one-by-one in id order would give', async () => {
    // oak has plenty, pine too little for all, elm no stock row at all.
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 20 }, { stock: { oak: 1000, pine: 20 } });
    const taker = s.replica({ maxBatch: 100 });
    const before = new Map(s.h.store.stock);
    const types: readonly WoodType[] = ['oak', 'pine', 'elm'];
    const orders = Array.from({ length: 30 }, (_, i) => order(types[i % 3] as WoodType, 1 + ((i * 7) % 9)));
    // The first order of each wood type is sent alone (its lock was free); the rest wait, then go together.
    const outcomes = await Promise.all(orders.map((o) => taker.take(o)));
    const firstOfEach = orders.filter((o, i) => orders.findIndex((other) => other.woodType === o.woodType) === i);
    const expected = oneByOne(firstOfEach, before);
    const afterFirst = new Map(before);
    for (const o of firstOfEach)
      if (expected.get(o.id) === 'shipped') afterFirst.set(o.woodType, (afterFirst.get(o.woodType) ?? 0) - o.quantity);
    for (const [id, outcome] of oneByOne(
      orders.filter((o) => !firstOfEach.includes(o)),
      afterFirst,
    ))
      expected.set(id, outcome);
    expect(new Map(orders.map((o, i) => [o.id, outcomes[i]]))).toEqual(expected);
    // A handful of requests, not thirty: oak 2, elm 2, pine 2 and its retake after the 400.
    expect(s.h.store.decreaseLog.length).toBeLessThanOrEqual(4);
    const shipped = (type: string) =>
      orders.filter((o, i) => o.woodType === type && outcomes[i] === 'shipped').reduce((sum, o) => sum + o.quantity, 0);
    expect(s.h.store.stock.get('oak')).toBe(1000 - shipped('oak'));
    expect(s.h.store.stock.get('pine')).toBe(20 - shipped('pine'));
    // No order blocked while its quantity still fitted: what is left is less than every blocked pine order.
    const blockedPine = orders.filter((o, i) => o.woodType === 'pine' && outcomes[i] === 'blocked');
    expect(blockedPine.length).toBeGreaterThan(0);
    expect(blockedPine.every((o) => o.quantity > (s.h.store.stock.get('pine') ?? 0))).toBe(true);
  });

  // A minute of spacing against a 5 s test: a hold that only ended with the spacing would fail here.
  const HELD_MS = 60_000;

  it("holds a wood type's next decrease while the Order API has status updates queued: later orders join it", async () => {
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 5 });
    let backlog = true;
    const taker = s.replica({ maxBatch: 100, batchSpacingMs: HELD_MS, holdBatches: () => backlog });
    const maples = () => s.h.store.decreaseLog.filter((d) => d.woodType === 'maple').length;
    // The first decrease of a wood type goes at once.
    expect(await taker.take(order('maple', 1))).toBe('shipped');
    const held = taker.take(order('maple', 2));
    // An oak order's whole round trip (lock, level, ledger, decrease) is the clock: maple's waits meanwhile.
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    expect(maples()).toBe(1);
    const joined = taker.take(order('maple', 3));
    // The Order API has nothing queued any more: the held batch leaves at once, not when the spacing ends.
    backlog = false;
    expect(await Promise.all([held, joined])).toEqual(['shipped', 'shipped']);
    // Both held orders went in one request of 5.
    expect(s.h.store.decreaseLog.filter((d) => d.woodType === 'maple').map((d) => d.quantity)).toEqual([1, 5]);
  }, 5000);

  it('lets a full batch go at once, however long the Order API stays busy', async () => {
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 5 });
    const taker = s.replica({ maxBatch: 3, batchSpacingMs: HELD_MS, holdBatches: () => true });
    expect(await taker.take(order('birch', 1))).toBe('shipped');
    const first = [taker.take(order('birch', 1)), taker.take(order('birch', 1))];
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    // The third order fills the batch: it wakes the hold.
    expect(await Promise.all([...first, taker.take(order('birch', 1))])).toEqual(['shipped', 'shipped', 'shipped']);
    expect(s.h.store.decreaseLog.filter((d) => d.woodType === 'birch').map((d) => d.quantity)).toEqual([1, 3]);
  }, 5000);

  it('holds an order for at most half its lock wait, so the hold never makes it time out', async () => {
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 5 });
    const taker = s.replica({ maxBatch: 100, batchSpacingMs: HELD_MS, holdBatches: () => true, waitMs: 1000 });
    expect(await taker.take(order('pine', 1))).toBe('shipped');
    const started = performance.now();
    expect(await taker.take(order('pine', 2))).toBe('shipped');
    // Half of the 1 s lock wait, then the lock and the request: a StockLockTimeout would have thrown above.
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
  }, 5000);

  it('hands back held orders at once when the worker shuts down: their decrease was never sent', async () => {
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 5 });
    const taker = s.replica({ maxBatch: 100, batchSpacingMs: HELD_MS, holdBatches: () => true });
    expect(await taker.take(order('maple', 1))).toBe('shipped');
    const held = taker.take(order('maple', 2));
    expect(await taker.take(order('oak', 1))).toBe('shipped');
    taker.close();
    await expect(held).rejects.toThrow(/shutting down/);
    expect(s.h.store.decreaseLog.filter((d) => d.woodType === 'maple')).toHaveLength(1);
  }, 5000);

  it('goes one by one when the level moved between the 400 and the retake', async () => {
    const h = await startSim(
      { orders: 0, stock: { pine: 30 } },
      { errorRate: 0, nonAtomic: true, honourIdempotencyKey: false },
    );
    onTestFinished(() => h.sim.close());
    let reads = 0;
    // Someone takes 8 pine right after the level is read for the retake.
    const stocks = await startGate(h.sim.stockUrl, {
      intercept: async ({ method, url }, forward) => {
        if (method !== 'GET' || url.pathname !== '/stocks/pine') return undefined;
        const answer = await forward();
        if (++reads === 2) h.store.stock.set('pine', (h.store.stock.get('pine') ?? 0) - 8);
        return answer;
      },
    });
    onTestFinished(() => stocks.close());
    const upstream = createUpstream(testConfig(h.sim, { API_URL_STOCKS: stocks.url }));
    onTestFinished(() => upstream.close());
    const parts = await stockParts(h, { leaseMs: 3000 });
    const taker = createStockTaker({
      stockApi: upstream.stockApi,
      ...parts,
      waitMs: 10_000,
      requestTimeoutMs: 2000,
      lateDecreaseMs: 1000,
      keysHonoured: false,
      maxBatch: 100,
      batchSpacingMs: 0,
      holdBatches: () => false,
      name: 'test',
      random: createRandom(1),
      logger,
    });
    onTestFinished(() => taker.close());
    // Quantities 4, 5, … 9: 39 in all against 30. At the retake the level reads 30, then is 22.
    const orders = [4, 5, 6, 7, 8, 9].map((quantity) => order('pine', quantity));
    const outcomes = await Promise.all(orders.map((o) => taker.take(o)));
    const left = h.store.stock.get('pine') ?? 0;
    const shipped = orders.filter((_, i) => outcomes[i] === 'shipped').reduce((sum, o) => sum + o.quantity, 0);
    expect(30 - 8 - left).toBe(shipped);
    const blocked = orders.filter((_, i) => outcomes[i] === 'blocked');
    expect(blocked.every((o) => o.quantity > left)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(2);
    // One by one after the second 400: more requests than the two a batch needs.
    expect(h.store.decreaseLog.length).toBeGreaterThan(2);
  });

  it('resolves a batch in doubt as one, by the level', async () => {
    const s = await setup({ errorRate: 0, nonAtomic: true, latencyMs: 20 });
    const taker = s.replica({ maxBatch: 100 });
    expect(await taker.take(order('maple', 1))).toBe('shipped');
    s.h.options.decreaseFailAfterCommitRate = 1;
    const orders = Array.from({ length: 12 }, (_, i) => order('maple', 1 + (i % 4)));
    const outcomes = await Promise.all(orders.map((o) => taker.take(o)));
    expect(outcomes.every((outcome) => outcome === 'shipped')).toBe(true);
    const total = orders.reduce((sum, o) => sum + o.quantity, 0);
    expect(s.h.store.stock.get('maple')).toBe(1000 - 1 - total);
    const stats = await s.ledger.stats();
    expect(stats.resolvedTaken).toBeLessThanOrEqual(2);
    expect(stats.toPerson).toBe(0);
  });
});
