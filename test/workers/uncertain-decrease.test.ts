import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream } from '../../src/clients/upstream.ts';
import type { Logger } from '../../src/logger.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { orderJobId } from '../../src/queue/jobs.ts';
import { replayOrder } from '../../src/queue/replay.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import type { SimFaults } from '../../src/sim/server.ts';
import { runCli } from '../helpers/cli.ts';
import { startGate } from '../helpers/gate.ts';
import { capturingLogger } from '../helpers/logs.ts';
import {
  attribute,
  childEnv,
  EXACT,
  invariants,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };

async function run(
  faults: Partial<SimFaults>,
  env: Record<string, string> = {},
  orders = 1,
  logger?: Logger,
): Promise<{ h: SimHarness; p: RunningPipeline }> {
  const h = await startSim(
    { orders, stock: STOCK },
    { honourIdempotencyKey: false, ...faults, errorRate: faults.errorRate ?? 0 },
  );
  onTestFinished(() => h.sim.close());
  const p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '5', ...env }), logger);
  onTestFinished(() => p.close());
  return { h, p };
}

const finished = (p: RunningPipeline, orderId: number) =>
  waitFor(`the job of order ${orderId} to finish`, async () => {
    const job = await p.queues.orders.getJob(orderJobId(orderId));
    return job?.finishedOn ? job : undefined;
  });

describe('a decrease whose answer is lost', () => {
  it('resolves itself by the level when the Stock API ignores keys: the order ships, the stock is taken once', async () => {
    // The decrease takes effect; its answer comes long after the worker gave up on it.
    const { h, p } = await run({ decreaseAnswerDelayMs: 2500 }, { HTTP_TIMEOUT_MS: '150' });
    await enqueueOrders(p.queues, [1]);
    const job = await finished(p, 1);
    expect(job.returnvalue).toMatchObject({ orderId: 1, outcome: 'shipped' });
    expect(h.store.orders.get(1)?.order_status).toBe('shipped');
    expect(invariants(h).excess).toEqual(EXACT);
    expect(h.store.decreaseLog).toHaveLength(1);
    expect(await p.ledger.stats()).toMatchObject({ resolvedTaken: 1, toPerson: 0 });
  });

  it('is sent again under its key when the Stock API honours keys, which takes stock once', async () => {
    const { h, p } = await run(
      { decreaseAnswerDelayMs: 2500, honourIdempotencyKey: true },
      { HTTP_TIMEOUT_MS: '150', STOCK_IDEMPOTENCY_KEYS: 'honoured' },
    );
    await enqueueOrders(p.queues, [1]);
    await waitFor('the first decrease', () => h.store.decreaseLog.length === 1);
    h.options.decreaseAnswerDelayMs = 0;
    await finished(p, 1);
    expect(h.store.orders.get(1)?.order_status).toBe('shipped');
    expect(h.store.decreaseLog).toHaveLength(1);
    expect(await p.ledger.stats()).toMatchObject({ resentWithKey: 1 });
  });

  it('waits for a person when the stock also changed for another reason, and replay takes the answer', async () => {
    const { h, p } = await run({ decreaseAnswerDelayMs: 2500 }, { HTTP_TIMEOUT_MS: '150' }, 2);
    const oak = (id: number) => {
      const order = h.store.orders.get(id);
      if (order === undefined) throw new Error(`no order ${id}`);
      order.wood_type = 'oak';
      return order;
    };
    const [first, second] = [oak(1), oak(2)];
    await enqueueOrders(p.queues, [1]);
    await waitFor('the decrease to take effect', () => h.store.decreaseLog.length === 1);
    h.store.addStock('oak', 40); // a delivery lands while the answer is lost
    const job = await finished(p, 1);
    expect(job.failedReason).toContain(
      `the oak level was 100 before it, so taken would leave ${100 - first.quantity} and not taken 100; it was ${140 - first.quantity}`,
    );
    expect(job.failedReason).toContain('ordermanagement replay --decreased 1');
    expect(first.order_status).toBe('registered');

    // replay without the answer shows the facts and changes nothing.
    h.options.decreaseAnswerDelayMs = 0;
    const env = childEnv(p.config);
    const asked = await runCli(['replay', '1'], env);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('order 1: stock decrease ');
    expect(asked.stderr).toContain('may or may not have happened');

    // A person checked the delivery note: the decrease was taken. Only the status is set now.
    const decided = await runCli(['replay', '--decreased', '1'], env);
    expect(decided.code).toBe(0);
    expect(decided.stdout).toMatch(
      /^order 1: retried failed job order-1 \(decrease .+ settled as taken: only the status is set\)\nreplay: 1 order: 1 retried\n$/,
    );
    await waitFor('order 1 to ship', () => first.order_status === 'shipped');
    expect(h.store.decreaseLog).toHaveLength(1);

    // The wood type went on from the level found: the next order is taken at once, exactly.
    await enqueueOrders(p.queues, [2]);
    await waitFor('order 2 to ship', () => second.order_status === 'shipped');
    expect(h.store.stock.get('oak')).toBe(140 - first.quantity - second.quantity);
    expect(await p.ledger.stats()).toMatchObject({ toPerson: 1, decidedByPerson: 1 });
  });

  it('is sent again after a person answers that it was not taken', async () => {
    const h = await startSim({ orders: 2, stock: STOCK }, { errorRate: 0, honourIdempotencyKey: false });
    onTestFinished(() => h.sim.close());
    // The decrease never reaches the Stock API: the network holds it until the worker gives up (the
    // level reads before it still go through).
    let lostOnTheWay = false;
    const stocks = await startGate(h.sim.stockUrl, {
      intercept: ({ method, url }) =>
        lostOnTheWay && method === 'POST' && url.pathname === '/stocks/decrease'
          ? new Promise<undefined>(() => {})
          : undefined,
    });
    onTestFinished(() => stocks.close());
    const p = await startPipeline(testConfig(h.sim, { HTTP_TIMEOUT_MS: '150', API_URL_STOCKS: stocks.url }));
    onTestFinished(() => p.close());
    const [order, earlier] = [h.store.orders.get(1), h.store.orders.get(2)];
    if (order === undefined || earlier === undefined) throw new Error('no orders');
    earlier.wood_type = order.wood_type;
    await enqueueOrders(p.queues, [2]);
    await waitFor('order 2 to ship', () => earlier.order_status === 'shipped');
    lostOnTheWay = true;
    await enqueueOrders(p.queues, [1]);
    await waitFor('the decrease to be in doubt', async () => (await p.ledger.order(1))?.entry?.doubt);
    h.store.addStock(order.wood_type, 7); // and a delivery lands meanwhile
    lostOnTheWay = false;
    const job = await finished(p, 1);
    expect(job.failedReason).toContain('may or may not have happened');

    const result = await runCli(['replay', '--not-decreased', '1'], childEnv(p.config));
    expect(result.stdout).toContain('settled as not taken: it is sent again');
    await waitFor('order 1 to ship', () => order.order_status === 'shipped');
    expect(h.store.decreaseLog).toHaveLength(2);
    expect(h.store.stock.get(order.wood_type)).toBe(107 - order.quantity - earlier.quantity);
  });
});

describe('attempts that run out', () => {
  it('after the stock was taken, keep the job waiting and trying until the status is written: no person needed', async () => {
    const { h, p } = await run(
      { statusUpdateErrorRate: 1 },
      { RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '5', RETRY_BACKOFF_MAX_MS: '100' },
    );
    await enqueueOrders(p.queues, [1]);
    // Waiting twice after the last attempt: it keeps trying, and is not failed meanwhile.
    await waitFor('the job to wait after its last attempt, twice', async () => {
      const { logs } = await p.queues.orders.getJobLogs(orderJobId(1));
      const waits = logs.filter((line) => line.includes('retries ran out but its status shipped is not written yet'));
      return waits.length >= 2;
    });
    expect(await p.queues.orders.getFailedCount()).toBe(0);
    h.options.statusUpdateErrorRate = 0;
    const job = await finished(p, 1);
    expect(job.returnvalue).toMatchObject({ outcome: 'shipped' });
    expect(h.store.decreaseLog).toHaveLength(1);
  });

  it('before any stock was taken, block the order', async () => {
    const { h, p } = await run({ errorRate: 0 }, { ERROR_RATE: '1', RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1' });
    await enqueueOrders(p.queues, [1]);
    const job = await finished(p, 1);
    expect(job.returnvalue).toEqual({ orderId: 1, outcome: 'blocked', status: 'blocked', exhausted: true });
    expect(h.store.decreaseLog).toHaveLength(0);
  });
});

describe('jobs removed while their order is still registered', () => {
  it('never re-open the decrease: the next job finds the ledger and only sets the status', async () => {
    // Status updates are refused (403): each job fails after its decrease; half the decreases lose their answer.
    const { logger, lines } = capturingLogger('error');
    const { h, p } = await run(
      { statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403, decreaseResetAfterCommitRate: 0.5 },
      { INTERVAL_SECONDS: '0.3', PAGE_SIZE: '10' },
      20,
      logger,
    );
    await upsertCycleScheduler(p.queues.cycles, p.config);
    // Failed, cleaned away (as Bull Board's "clean" or KEEP_FAILED_SECONDS would), enqueued again by a later cycle: three times.
    for (let round = 1; round <= 3; round++) {
      await waitFor(`round ${round}: every job failed`, async () => (await p.queues.orders.getFailedCount()) === 20);
      await p.queues.orders.clean(0, 1000, 'failed');
    }
    expect(h.store.statusUpdateFailures.length).toBeGreaterThanOrEqual(60);
    expect(
      lines.filter((line) => line.message === 'order failed; it waits for a person').length,
    ).toBeGreaterThanOrEqual(60);
    h.options.statusUpdateErrorRate = 0;
    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    const { decreasedTwice, unattributed, perOrder } = await attribute(h, p.ledger);
    expect({ decreasedTwice, unattributed }).toEqual({ decreasedTwice: [], unattributed: [] });
    expect(perOrder.size).toBe(h.store.countByStatus().shipped);
    expect(invariants(h).excess).toEqual(EXACT);
  });
});

describe('a wood type whose decrease in doubt cannot be resolved yet', () => {
  it('keeps its other orders waiting, not blocked, until the Stock API can say its level', async () => {
    const h = await startSim({ orders: 5, stock: STOCK }, { errorRate: 0, honourIdempotencyKey: false });
    onTestFinished(() => h.sim.close());
    for (const order of h.store.orders.values()) order.wood_type = 'maple';
    let decreases = 0;
    let levelsBroken = false;
    const stocks = await startGate(h.sim.stockUrl, {
      intercept: async ({ method, url }, forward) => {
        // The first decrease takes effect and answers 500; from then on the level cannot be read.
        if (method === 'POST' && url.pathname === '/stocks/decrease' && ++decreases === 1) {
          await forward();
          levelsBroken = true;
          return { status: 500, body: { error: 'Unexpected error during stock decrease' } };
        }
        if (method === 'GET' && url.pathname === '/stocks/maple' && levelsBroken)
          return { status: 502, body: 'Bad Gateway' };
        return undefined;
      },
    });
    onTestFinished(() => stocks.close());
    const p = await startPipeline(
      testConfig(h.sim, {
        API_URL_STOCKS: stocks.url,
        RETRY_ATTEMPTS: '2',
        RETRY_BACKOFF_MS: '5',
        RETRY_BACKOFF_MAX_MS: '200',
      }),
    );
    onTestFinished(() => p.close());
    await enqueueOrders(p.queues, [...h.store.orders.keys()]);
    await waitFor('every job to have run out of attempts and wait', async () => {
      const delayed = await p.queues.orders.getDelayed();
      const logs = await Promise.all(
        delayed.map(async (job) => (await p.queues.orders.getJobLogs(String(job.id))).logs),
      );
      return delayed.length === 5 && logs.every((lines) => lines.some((line) => line.includes('retries ran out')));
    });
    expect(h.store.countByStatus().blocked).toBe(0);
    levelsBroken = false;
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 5, { timeoutMs: 60_000 });
    const { perOrder, decreasedTwice } = await attribute(h, p.ledger);
    expect({ orders: perOrder.size, decreasedTwice }).toEqual({ orders: 5, decreasedTwice: [] });
    expect(invariants(h).excess).toEqual(EXACT);
  });
});

describe('two people answering the same doubt at once', () => {
  it('applies one answer only', async () => {
    const { h, p } = await run({ decreaseAnswerDelayMs: 2500 }, { HTTP_TIMEOUT_MS: '150' });
    const order = h.store.orders.get(1);
    if (order === undefined) throw new Error('no order 1');
    await enqueueOrders(p.queues, [1]);
    await waitFor('the decrease to take effect', () => h.store.decreaseLog.length === 1);
    h.store.addStock(order.wood_type, 11);
    await finished(p, 1);
    const upstream = createUpstream(p.config);
    onTestFinished(() => upstream.close());
    const deps = { orderApi: upstream.orderApi, queues: p.queues, ledger: p.ledger };
    const answers = await Promise.all([
      replayOrder(deps, '1', 'decreased').catch((error: Error) => error.message),
      replayOrder(deps, '1', 'not-decreased').catch((error: Error) => error.message),
    ]);
    expect(answers.filter((answer) => typeof answer === 'object' && answer.result === 'retried')).toHaveLength(1);
    expect(await p.ledger.stats()).toMatchObject({ decidedByPerson: 1 });
  });
});
