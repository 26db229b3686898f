import { describe, expect, it, onTestFinished } from 'vitest';
import { parseRetryAfter } from '../../src/clients/http.ts';
import { CYCLE_JOB, orderJobId } from '../../src/queue/jobs.ts';
import { type Forged, type GateRules, startGate } from '../helpers/gate.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { type RunningPipeline, type SimHarness, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 };

/** The simulator behind hostile Order and Stock APIs; workers in this process log into `lines`. */
async function hostile(
  orders: number,
  rules: { orders?: GateRules; stocks?: GateRules },
  env: Record<string, string> = {},
): Promise<{ h: SimHarness; p: RunningPipeline; lines: Record<string, unknown>[] }> {
  const h = await startSim({ orders, stock: STOCK });
  onTestFinished(() => h.sim.close());
  const orderGate = await startGate(h.sim.orderUrl, rules.orders ?? {});
  const stockGate = await startGate(h.sim.stockUrl, rules.stocks ?? {});
  onTestFinished(async () => {
    await Promise.all([orderGate.close(), stockGate.close()]);
  });
  const config = testConfig(h.sim, { API_URL_ORDERS: orderGate.url, API_URL_STOCKS: stockGate.url, ...env });
  const { logger, lines } = capturingLogger('warn');
  const p = await startPipeline(config, logger);
  onTestFinished(() => p.close());
  return { h, p, lines };
}

const listing = (url: URL) => url.pathname === '/orders/status/registered';
const page = (ids: readonly number[]): Forged => ({
  status: 200,
  body: ids.map((id) => ({ id, wood_type: 'oak', quantity: 1, order_status: 'registered' })),
});

async function finishedCycle(p: RunningPipeline, id: string) {
  return waitFor('the cycle to finish', async () => {
    const job = await p.queues.cycles.getJob(id);
    return job?.finishedOn ? job : undefined;
  });
}

describe('a cycle against a hostile Order API', () => {
  it('stops paging an Order API that ignores skip, says why, and takes each order once', async () => {
    let listings = 0;
    const { h, p, lines } = await hostile(
      20,
      {
        orders: {
          intercept: ({ url }) => {
            if (!listing(url)) return undefined;
            listings += 1;
            return page(Array.from({ length: 10 }, (_, i) => i + 1)); // a full page, whatever the skip
          },
        },
      },
      { PAGE_SIZE: '10' },
    );
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const done = await finishedCycle(p, cycle.id as string);
    expect(done.returnvalue).toMatchObject({ fetched: 10, enqueued: 10, pages: 2, cut: 'nothing-new' });
    expect(listings).toBe(2);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('does it ignore skip?'), skip: 10 }),
    );
    await waitFor('the ten orders to ship', () => h.store.countByStatus().shipped === 10);
  });

  it('stops at MAX_ORDERS_PER_CYCLE when every page brings new orders', async () => {
    let next = 1;
    const { p, lines } = await hostile(
      0,
      {
        orders: {
          intercept: ({ url }) => (listing(url) ? page(Array.from({ length: 20 }, () => next++)) : undefined),
        },
      },
      { PAGE_SIZE: '20', MAX_ORDERS_PER_CYCLE: '100' },
    );
    await p.workers.processOrder.pause();
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the fan-out', async () => (await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut);
    expect((await p.queues.cycles.getJob(cycle.id as string))?.data.fanOut).toMatchObject({
      fetched: 100,
      enqueued: 100,
      pages: 5,
      cut: 'max-orders',
    });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('MAX_ORDERS_PER_CYCLE') }),
    );
  });

  it.each([
    ['not JSON', { status: 200, body: '{"id": 1, ' }, 'body that is not JSON'],
    ['an object instead of a list', { status: 200, body: { orders: [] } }, 'order list must be an array'],
    ['an HTML page', { status: 200, body: '<html><body>Maintenance</body></html>' }, 'body that is not JSON'],
    ['10 MB', { status: 200, body: `[${'1,'.repeat(5_000_000)}1]` }, 'UND_ERR_RES_EXCEEDED_MAX_SIZE'],
  ] as const)('logs every failed attempt of a cycle whose listing is %s', async (_what, answer, reason) => {
    const { p, lines } = await hostile(
      1,
      { orders: { intercept: ({ url }) => (listing(url) ? answer : undefined) } },
      { RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1' },
    );
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const failed = await finishedCycle(p, cycle.id as string);
    expect(failed.failedReason).toContain(reason);
    const logged = lines.filter((line) => String(line.message).startsWith('cycle'));
    expect(logged).toEqual([
      expect.objectContaining({ level: 'warn', message: 'cycle attempt failed; will retry', attempt: 1 }),
      expect.objectContaining({ level: 'error', message: 'cycle failed; the next one goes on', attempt: 2 }),
    ]);
    expect(JSON.stringify(logged[1])).toContain(reason);
  });
});

describe('Retry-After', () => {
  it('is read as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it.each([
    ['is waited for after a 429', '1', '60000', 900],
    ['is capped by RETRY_BACKOFF_MAX_MS', '3600', '300', 250],
  ])('%s', async (_what, retryAfter, maxMs, atLeastMs) => {
    const decreases: number[] = [];
    const { h, p } = await hostile(
      1,
      {
        stocks: {
          intercept: ({ url }) => {
            if (url.pathname !== '/stocks/decrease') return undefined;
            decreases.push(Date.now());
            return decreases.length <= 2
              ? { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': retryAfter } }
              : undefined;
          },
        },
      },
      { RETRY_ATTEMPTS: '5', RETRY_BACKOFF_MS: '1', RETRY_BACKOFF_MAX_MS: maxMs },
    );
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await finishedCycle(p, cycle.id as string);
    expect(h.store.orders.get(1)?.order_status).toBe('shipped');
    expect(decreases).toHaveLength(3);
    // Without Retry-After the backoff of 1 ms would have spent the attempts at once.
    for (let i = 1; i < decreases.length; i++) {
      expect((decreases[i] as number) - (decreases[i - 1] as number)).toBeGreaterThanOrEqual(atLeastMs);
    }
    expect((decreases[2] as number) - (decreases[0] as number)).toBeLessThan(Number(maxMs) * 2 + 2000);
  });
});

describe('an order deleted while it was processed', () => {
  it('is an anomaly when its stock was already taken: logged, counted in the result, not retried', async () => {
    const { h, p, lines } = await hostile(1, {
      orders: {
        intercept: ({ method, url }) =>
          method === 'PUT' && url.pathname === '/orders/1'
            ? { status: 404, body: { error: 'Order not found' } }
            : undefined,
      },
    });
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const done = await finishedCycle(p, cycle.id as string);
    const job = await p.queues.orders.getJob(orderJobId(1));
    expect(job?.returnvalue).toMatchObject({
      orderId: 1,
      outcome: 'vanished',
      anomaly: expect.stringContaining('no longer exists'),
    });
    expect(job?.attemptsStarted).toBe(1);
    expect(done.returnvalue.outcomes).toMatchObject({ vanished: 1, failed: 0 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'anomaly: stock taken for an order that vanished',
        orderId: 1,
      }),
    );
    expect(h.store.decreaseLog).toHaveLength(1);
  });
});
