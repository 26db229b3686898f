import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream } from '../../src/clients/upstream.ts';
import { CYCLE_JOB } from '../../src/queue/jobs.ts';
import { registeredAgain } from '../../src/queue/listing.ts';
import { replayOrder } from '../../src/queue/replay.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { startGate } from '../helpers/gate.ts';
import { capturingLogger } from '../helpers/logs.ts';
import {
  attribute,
  EXACT,
  invariants,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

async function harness(...args: Parameters<typeof startSim>): Promise<SimHarness> {
  const h = await startSim(...args);
  onTestFinished(() => h.sim.close());
  return h;
}

async function pipeline(...args: Parameters<typeof testConfig>): Promise<RunningPipeline> {
  const p = await startPipeline(testConfig(...args));
  onTestFinished(() => p.close());
  return p;
}

describe('the business loop', () => {
  it('ships, blocks and closes 500 orders exactly as the stock allows', async () => {
    // elm has no stock row (closed); birch is short (some blocked); the rest have plenty.
    const h = await harness({ orders: 500, stock: { oak: 10_000, maple: 10_000, pine: 10_000, birch: 150 } });
    const { logger, lines } = capturingLogger('info');
    const p = await startPipeline(testConfig(h.sim, { PAGE_SIZE: '100' }), logger);
    onTestFinished(() => p.close());
    await upsertCycleScheduler(p.queues.cycles, p.config);

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    // At info, one line per order (a worker writes hundreds a second), saying what decided it.
    await waitFor('every status line', () => lines.filter((l) => l.orderId !== undefined).length >= 500);
    const perOrder = lines.filter((line) => line.orderId !== undefined);
    expect(perOrder.map((line) => line.message)).toEqual(Array(500).fill('order status set'));
    for (const line of perOrder) {
      const order = h.store.orders.get(line.orderId as number);
      expect(line).toMatchObject({
        status: order?.order_status,
        woodType: order?.wood_type,
        quantity: order?.quantity,
      });
    }

    const orders = [...h.store.orders.values()];
    const byType = (type: string) => orders.filter((o) => o.wood_type === type);
    expect(byType('elm').length).toBeGreaterThan(0);
    expect(byType('elm').every((o) => o.order_status === 'closed')).toBe(true);
    for (const type of ['oak', 'maple', 'pine']) {
      expect(byType(type).every((o) => o.order_status === 'shipped')).toBe(true);
    }
    const birch = byType('birch');
    const birchLeft = h.store.stock.get('birch') ?? 0;
    const blockedBirch = birch.filter((o) => o.order_status === 'blocked');
    expect(blockedBirch.length).toBeGreaterThan(0);
    // Stock only falls, so an order blocked for want of stock needs more than what is left at the end.
    expect(blockedBirch.every((o) => o.quantity > birchLeft)).toBe(true);
    expect(birch.every((o) => o.order_status === 'shipped' || o.order_status === 'blocked')).toBe(true);
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
  });

  it('takes no excess stock and leaves nothing registered at ERROR_RATE 0.3 with status updates failing after decreases', async () => {
    // The simulator ignores Idempotency-Key here, like the reference service: only the recorded step prevents a second decrease.
    const h = await harness(
      { orders: 300, stock: { oak: 400, maple: 10_000, birch: 10_000, pine: 10_000 }, seed: 3 },
      { errorRate: 0.3, statusUpdateErrorRate: 0.5, honourIdempotencyKey: false },
    );
    const p = await pipeline(h.sim, {
      ERROR_RATE: '0.3',
      CYCLE_ERROR_RATE: '0.3',
      RETRY_ATTEMPTS: '40',
      RETRY_BACKOFF_MS: '2',
      RETRY_BACKOFF_MAX_MS: '50',
      PAGE_SIZE: '50',
      INTERVAL_SECONDS: '0.2',
    });
    await upsertCycleScheduler(p.queues.cycles, p.config);

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0, {
      timeoutMs: 90_000,
    });
    const result = invariants(h);
    expect(result).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
    const { decreasedTwice, unattributed, perOrder } = await attribute(h, p.ledger);
    expect({ decreasedTwice, unattributed }).toEqual({ decreasedTwice: [], unattributed: [] });
    // The faults were real: status updates failed after their order's decrease had taken effect, and
    // the retries set the status without a second decrease.
    const keyIndex = new Map(h.store.decreaseLog.map(({ key }, i) => [key, i]));
    const afterDecrease = await Promise.all(
      h.store.statusUpdateFailures.map(async ({ orderId, decreasesSoFar }) => {
        const entry = (await p.ledger.order(orderId))?.entry;
        return entry !== undefined && (keyIndex.get(entry.id) ?? Number.POSITIVE_INFINITY) < decreasesSoFar;
      }),
    );
    expect(afterDecrease.filter(Boolean).length).toBeGreaterThan(20);
    expect(perOrder.size).toBe(h.store.countByStatus().shipped);
    expect(await p.queues.orders.getFailedCount()).toBe(0);
  });

  it('with ERROR_RATE=1 makes no stock call and ends every order blocked', async () => {
    const h = await harness({ orders: 20, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    const p = await pipeline(h.sim, { ERROR_RATE: '1', RETRY_ATTEMPTS: '3', RETRY_BACKOFF_MS: '1' });
    await upsertCycleScheduler(p.queues.cycles, p.config);

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    expect(h.store.countByStatus().blocked).toBe(20);
    expect(h.store.decreasesByKey.size).toBe(0);
    expect(Object.fromEntries(h.store.stock)).toEqual(Object.fromEntries(h.initialStock));
  });

  it('fetches every page when there are more orders than one page, and reports what one cycle did', async () => {
    // 603 children: more than Redis keeps in a compact hash (512 at most), so the outcomes are counted in pages too.
    // Pages of 300 are added as more than one bulk transaction each.
    const h = await harness({ orders: 603, stock: { oak: 10_000, maple: 10_000, birch: 10_000, pine: 10_000 } });
    const p = await pipeline(h.sim, { PAGE_SIZE: '300' });
    // Hold the order workers so the fan-out sees a list that does not shift under its offset.
    await p.workers.processOrder.pause();
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the fan-out', async () => (await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut);
    expect((await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut).toEqual({
      fetched: 603,
      enqueued: 603,
      skipped: 0,
      invalid: 0,
      pages: 3,
    });
    p.workers.processOrder.resume();

    const done = await waitFor('the cycle to complete', async () => {
      const job = await p.queues.cycles.getJob(cycle.id as string);
      return job?.finishedOn ? job : undefined;
    });
    const statuses = h.store.countByStatus();
    expect(done.returnvalue.outcomes).toEqual({
      shipped: statuses.shipped,
      blocked: 0,
      closed: statuses.closed,
      skipped: 0,
      vanished: 0,
      failed: 0,
    });
    // elm has no stock row: its orders are closed.
    expect(statuses.closed).toBeGreaterThan(0);
    expect(statuses.shipped + statuses.closed).toBe(603);
  });
});

describe('orders as listed', () => {
  it('are processed from a fresh listing without reading each order again', async () => {
    const h = await harness({ orders: 40, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    const p = await pipeline(h.sim);
    await p.queues.cycles.add(CYCLE_JOB, {});

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    expect(h.store.countByStatus().shipped).toBe(40);
    expect(h.store.orderReads).toBe(0);
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
  });

  it('are read again once the listing is older than ORDER_REREAD_AFTER_MS, so a status changed meanwhile wins', async () => {
    const h = await harness({ orders: 20, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    const p = await pipeline(h.sim, { ORDER_REREAD_AFTER_MS: '0' });
    await p.workers.processOrder.pause();
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the fan-out', async () => (await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut);
    // Someone closes five orders after the cycle listed them.
    const changed = [...h.store.orders.values()].slice(0, 5);
    for (const order of changed) h.store.setStatus(order, 'closed');
    p.workers.processOrder.resume();

    const done = await waitFor('the cycle to complete', async () => {
      const job = await p.queues.cycles.getJob(cycle.id as string);
      return job?.finishedOn ? job : undefined;
    });
    expect(done.returnvalue.outcomes).toEqual({
      shipped: 15,
      blocked: 0,
      closed: 0,
      skipped: 5,
      vanished: 0,
      failed: 0,
    });
    expect(h.store.orderReads).toBe(20);
    expect(changed.every((order) => order.order_status === 'closed')).toBe(true);
    const { perOrder } = await attribute(h, p.ledger);
    for (const order of changed) expect(perOrder.has(order.id)).toBe(false);
    expect(perOrder.size).toBe(15);
  });
});

describe('orders in a backlog', () => {
  it('are trusted as a later cycle listed them, with no read of their own, however old their job', async () => {
    const h = await harness({ orders: 30, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    const p = await pipeline(h.sim, { ORDER_REREAD_AFTER_MS: '300' });
    await p.workers.processOrder.pause();
    const first = await p.queues.cycles.add(CYCLE_JOB, {});
    const fannedOut = await waitFor(
      'the fan-out',
      async () => (await p.queues.cycles.getJob(first.id as string))?.data.fanOut,
    );
    expect(fannedOut.enqueued).toBe(30);
    const jobs = await p.queues.orders.getJobs(['waiting']);
    // The jobs' own listing goes stale while they wait...
    await waitFor('the first listing to be older than ORDER_REREAD_AFTER_MS', () =>
      jobs.every((job) => Date.now() - job.timestamp > 400),
    );
    // ...but the next cycle lists every registered order again (and adds nothing: they all have jobs).
    const second = await p.queues.cycles.add(CYCLE_JOB, {});
    const again = await waitFor(
      'the second fan-out',
      async () => (await p.queues.cycles.getJob(second.id as string))?.data.fanOut,
    );
    expect(again).toMatchObject({ fetched: 30, enqueued: 0, skipped: 30 });
    p.workers.processOrder.resume();

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    expect(h.store.countByStatus().shipped).toBe(30);
    expect(h.store.orderReads).toBe(0);
  });

  it('are read again when no cycle listed them lately, and a status someone changed wins', async () => {
    const h = await harness({ orders: 10, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    const p = await pipeline(h.sim, { ORDER_REREAD_AFTER_MS: '300' });
    await p.workers.processOrder.pause();
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the fan-out', async () => (await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut);
    const listedAt = Date.now();
    const [changed] = [...h.store.orders.values()];
    if (changed === undefined) throw new Error('no order seeded');
    h.store.setStatus(changed, 'closed');
    await waitFor('the listing to be older than ORDER_REREAD_AFTER_MS', () => Date.now() - listedAt > 400);
    p.workers.processOrder.resume();

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0);
    expect(h.store.orderReads).toBe(10);
    expect(changed.order_status).toBe('closed');
    const { perOrder } = await attribute(h, p.ledger);
    expect(perOrder.has(changed.id)).toBe(false);
    expect(perOrder.size).toBe(9);
  });
});

describe('an order registered again after its job completed', () => {
  it('is not processed again by itself: it is said once with the facts, counted and listed for a person', async () => {
    const h = await harness({ orders: 12, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    const { logger, lines } = capturingLogger('info');
    const p = await startPipeline(testConfig(h.sim), logger);
    onTestFinished(() => p.close());
    const first = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor(
      'the first cycle to complete',
      async () => (await p.queues.cycles.getJob(first.id as string))?.finishedOn,
    );
    const stockAfter = new Map(h.store.stock);
    // Someone sets three shipped orders back to registered (or the Order API lost their updates).
    const again = [...h.store.orders.values()].slice(0, 3);
    for (const order of again) h.store.setStatus(order, 'registered');

    for (let i = 0; i < 2; i++) {
      const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
      const done = await waitFor('a cycle to complete', async () => {
        const job = await p.queues.cycles.getJob(cycle.id as string);
        return job?.finishedOn ? job : undefined;
      });
      expect(done.returnvalue).toMatchObject({ fetched: 3, enqueued: 0, skipped: 3 });
    }
    const said = lines.filter((line) => String(line.message).includes('registered again'));
    expect(said.map((line) => line.orderId).sort()).toEqual(again.map((order) => order.id).sort());
    expect(said[0]).toMatchObject({ level: 'warn', jobId: expect.stringMatching(/^order-\d+$/) });
    expect(said[0]?.jobResult).toMatchObject({ outcome: 'shipped' });
    expect((await registeredAgain(p.queues)).map((order) => order.orderId).sort()).toEqual(
      again.map((order) => order.id).sort(),
    );
    // Nothing was taken for them, and they stay registered until a person replays them.
    expect(h.store.stock).toEqual(stockAfter);
    expect(again.every((order) => order.order_status === 'registered')).toBe(true);

    // A person replays one: the ledger knows its stock was taken, so only its status is written.
    const [replayed] = again;
    if (replayed === undefined) throw new Error('no order');
    const upstream = createUpstream(p.config);
    onTestFinished(() => upstream.close());
    const report = await replayOrder(
      { orderApi: upstream.orderApi, queues: p.queues, ledger: p.ledger },
      String(replayed.id),
    );
    expect(report.result).toBe('enqueued');
    await waitFor('the replayed order to ship', () => replayed.order_status === 'shipped');
    expect(h.store.stock).toEqual(stockAfter);
    expect((await registeredAgain(p.queues)).map((order) => order.orderId)).not.toContain(replayed.id);
  });
});

describe('cycles', () => {
  it('complete when children fail for good, counting them as failed', async () => {
    // Every status update is refused (403, which no retry can help): each child fails after taking stock.
    const h = await harness(
      { orders: 4, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } },
      { errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403 },
    );
    const p = await pipeline(h.sim, { RETRY_ATTEMPTS: '1' });
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const done = await waitFor('the cycle to complete', async () => {
      const job = await p.queues.cycles.getJob(cycle.id as string);
      return job?.finishedOn ? job : undefined;
    });
    expect(done.returnvalue.outcomes).toEqual({
      shipped: 0,
      blocked: 0,
      closed: 0,
      skipped: 0,
      vanished: 0,
      failed: 4,
    });
    expect(await p.queues.orders.getFailedCount()).toBe(4);
  });

  it('page past the orders their workers shipped meanwhile, so one pass lists every order', async () => {
    const h = await harness({ orders: 300, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
    let p: RunningPipeline | undefined;
    // The answer to the second page is held until the first page's 100 orders have shipped (moving
    // the rest of the list up by 100), then the workers pause so that nothing moves until the next page.
    const orders = await startGate(h.sim.orderUrl, {
      async hold(url) {
        if (url.searchParams.get('skip') !== '100' || p === undefined) return;
        const running = p;
        await waitFor('the first page to ship', async () => (await running.queues.orders.getCompletedCount()) >= 100);
        await running.workers.processOrder.pause();
      },
    });
    onTestFinished(() => orders.close());
    p = await pipeline(h.sim, { PAGE_SIZE: '100', API_URL_ORDERS: orders.url });
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const fanOut = await waitFor(
      'the fan-out',
      async () => (await p?.queues.cycles.getJob(cycle.id as string))?.data.fanOut,
    );
    // Paging on from skip 200 would have found the list's end there, 100 orders short.
    expect(fanOut).toEqual({ fetched: 300, enqueued: 300, skipped: 0, invalid: 0, pages: 4 });
    p.workers.processOrder.resume();
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 300);
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
  });

  it('run one at a time across replicas', async () => {
    const h = await harness({ orders: 60, stock: {} }, { errorRate: 0, latencyMs: 20 });
    const config = testConfig(h.sim, { PAGE_SIZE: '5' });
    const replicas = [await startPipeline(config), await startPipeline(config)];
    onTestFinished(async () => {
      for (const replica of replicas) await replica.close();
    });
    // No order worker runs, so each cycle's fan-out walks all 12 pages.
    for (const replica of replicas) await replica.workers.processOrder.close();
    await Promise.all([1, 2, 3].map(() => replicas[0]?.queues.cycles.add(CYCLE_JOB, {})));
    // The two that add nothing are removed as empty cycles, so the fan-outs are counted by their listings.
    await waitFor('three fan-outs', async () => {
      const active = (await replicas[0]?.queues.cycles.getActiveCount()) ?? 1;
      const waiting = (await replicas[0]?.queues.cycles.getWaitingCount()) ?? 1;
      return active === 0 && waiting === 0 && h.store.listings.total >= 3 * 13;
    });
    expect(h.store.listings.maxInFlight).toBe(1);
    // Each cycle pages through all 60 orders (12 full pages and an empty one); the later two skip them all.
    expect(h.store.listings.total).toBe(3 * 13);
  });
});
