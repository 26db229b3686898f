import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream } from '../src/clients/upstream.ts';
import { enqueueOrders } from '../src/queue/enqueue.ts';
import { orderJobId, PROCESS_ORDER_JOB, type ProcessOrderData } from '../src/queue/jobs.ts';
import { replayOrder } from '../src/queue/replay.ts';
import { configProblems } from './helpers/config-problems.ts';
import { serveOnLoopback } from './helpers/loopback.ts';
import { type RunningPipeline, type SimHarness, startPipeline, startSim, testConfig } from './helpers/pipeline.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * The bad-input catalogue: each entry is something wrong arriving at an edge, and each expects a
 * clear error with nothing lost or half-applied, and a worker that keeps running.
 */

describe('configuration values', () => {
  it.each([
    [{ INTERVAL_SECONDS: 'five' }, 'INTERVAL_SECONDS: must be a number'],
    [{ INTERVAL_SECONDS: '-5' }, 'INTERVAL_SECONDS: must be between 0.001 and 86400'],
    [{ ERROR_RATE: '10%' }, 'ERROR_RATE: must be a number'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY: must be between 1 and 1000000'],
    [{ WORKER_CONCURRENCY: '1e3' }, 'WORKER_CONCURRENCY: must be a number'],
    [{ PAGE_SIZE: '0x10' }, 'PAGE_SIZE: must be a number'],
    [{ WORKER_CONCURRENCY: '2.5' }, 'WORKER_CONCURRENCY: must be a whole number'],
    [{ HTTP_TIMEOUT_MS: '' }, 'HTTP_TIMEOUT_MS: must be a number'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must start with redis:// or rediss://'],
    [{ API_URL_ORDERS: 'ftp://orders' }, 'API_URL_ORDERS: must start with http:// or https://'],
    [{ API_URL_STOCKS: 'http://' }, 'API_URL_STOCKS: is not a URL'],
    [{ BOARD_BASE_PATH: 'board' }, 'BOARD_BASE_PATH: must be a path such as / or /board'],
    [{ TRACE_ORDERS: 'sometimes' }, 'TRACE_ORDERS: must be one of the possible values'],
    [{ INTERVAL_SECOND: '3' }, 'INTERVAL_SECOND: is not a setting of ordermanagement; did you mean INTERVAL_SECONDS?'],
    [{ REDIS_URI: 'redis://x' }, 'REDIS_URI: is not a setting of ordermanagement; did you mean REDIS_URL?'],
  ])('%j', (env, message) => {
    expect(configProblems(env).join('\n')).toContain(message);
  });
});

/** An Order API whose GET /orders/<id> answers `answer`; everything else goes to the simulator. */
async function orderApiAnswering(
  target: string,
  answer: (res: import('node:http').ServerResponse) => void,
): Promise<string> {
  return serveOnLoopback(async (req, res) => {
    if (req.method === 'GET' && /^\/orders\/\d+$/.test(req.url ?? '')) return answer(res);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upstream = await request(`${target}${req.url}`, {
      method: req.method as 'GET',
      headers: { 'content-type': 'application/json' },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
    res.end(await upstream.body.text());
  });
}

const json =
  (body: unknown, status = 200) =>
  (res: import('node:http').ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const order = { id: 1, wood_type: 'oak', quantity: 2, order_status: 'registered' };

async function pipelineWith(answer: (res: import('node:http').ServerResponse) => void) {
  const h: SimHarness = await startSim({ orders: 1, stock: { oak: 100 } });
  onTestFinished(() => h.sim.close());
  const orders = await orderApiAnswering(h.sim.orderUrl, answer);
  const p: RunningPipeline = await startPipeline(
    testConfig(h.sim, { API_URL_ORDERS: orders, RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1', HTTP_TIMEOUT_MS: '300' }),
  );
  onTestFinished(() => p.close());
  return { h, p };
}

describe('upstream bodies that break the contract', () => {
  it.each([
    ['not JSON', json('{"id": 1,'), 'not JSON'],
    ['an HTML error page', json('<!doctype html><title>502 Bad Gateway</title>'), 'not JSON'],
    ['an array instead of an order', json([order]), 'order must be an object'],
    [
      'a missing field',
      json({ id: 1, wood_type: 'oak', order_status: 'registered' }),
      'quantity must be a positive integer',
    ],
    ['an id of the wrong type', json({ ...order, id: '1' }), 'order id must be a positive integer'],
    ['a negative quantity', json({ ...order, quantity: -2 }), 'quantity must be a positive integer, got -2'],
    ['a huge quantity', json({ ...order, quantity: 1e20 }), 'quantity must be a positive integer'],
    ['an unknown wood type', json({ ...order, wood_type: 'teak' }), 'wood_type must be one of'],
    ['an unknown status', json({ ...order, order_status: 'lost' }), 'order_status must be one of'],
    ['a 10 MB body', json(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`), 'exceeded'],
  ])('%s: the job fails with the reason, no stock is taken, the order is untouched', async (_what, answer, reason) => {
    const { h, p } = await pipelineWith(answer);
    await enqueueOrders(p.queues, [1]);
    const job = await waitFor('the job to fail', async () => {
      const found = await p.queues.orders.getJob(orderJobId(1));
      return found?.finishedOn ? found : undefined;
    });
    expect(job.failedReason).toMatch(new RegExp(reason, 'i'));
    expect(job.attemptsMade).toBe(1);
    expect(h.store.decreasesByKey.size).toBe(0);
    expect(h.store.orders.get(1)?.order_status).toBe('registered');
    expect(p.workers.processOrder.isRunning()).toBe(true);
  });

  it('a body too slow for the timeout: retried, then the order is blocked with no stock taken', async () => {
    const { h, p } = await pipelineWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id": 1,');
    });
    await enqueueOrders(p.queues, [1]);
    // The status is written before the job completes: wait for the job, not the order.
    const job = await waitFor('the job to complete', async () => {
      const found = await p.queues.orders.getJob(orderJobId(1));
      return found?.finishedOn ? found : undefined;
    });
    expect(h.store.orders.get(1)?.order_status).toBe('blocked');
    expect(job.returnvalue).toEqual({ orderId: 1, outcome: 'blocked', status: 'blocked', exhausted: true });
    expect(job.attemptsMade).toBe(2);
    expect(h.store.decreasesByKey.size).toBe(0);
  });
});

describe('job data that fails validation (a job added by hand)', () => {
  it.each([
    [{ orderId: 'abc' }, 'orderId must be a positive integer, got "abc"'],
    [{}, 'orderId must be a positive integer'],
    [{ orderId: -1 }, 'orderId must be a positive integer, got -1'],
    [{ orderId: 1.5 }, 'orderId must be a positive integer, got 1.5'],
    [{ orderId: 1, trace: 5 }, 'trace must be an object of strings'],
  ])('%j fails at once with the reason and touches nothing', async (data, reason) => {
    const h = await startSim({ orders: 1, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const p = await startPipeline(testConfig(h.sim));
    onTestFinished(() => p.close());
    const added = await p.queues.orders.add(PROCESS_ORDER_JOB, data as unknown as ProcessOrderData, {
      jobId: 'by-hand',
    });
    const job = await waitFor('the job to fail', async () => {
      const found = await p.queues.orders.getJob(added.id as string);
      return found?.finishedOn ? found : undefined;
    });
    expect(job.failedReason).toContain(reason);
    expect(job.attemptsMade).toBe(1);
    expect(h.store.decreasesByKey.size).toBe(0);
    expect(h.store.countByStatus().registered).toBe(1);
    expect(p.workers.processOrder.isRunning()).toBe(true);
  });
});

describe('replay arguments', () => {
  it.each(['abc', '', ' ', '-4', '0', '1.5', '1e3', '0x10', '99999999999999999999', '4 2'])(
    '%j is refused with a reason and enqueues nothing',
    async (input) => {
      const h = await startSim({ orders: 1, stock: {} });
      onTestFinished(() => h.sim.close());
      const p = await startPipeline(testConfig(h.sim));
      onTestFinished(() => p.close());
      const upstream = createUpstream(p.config);
      onTestFinished(() => upstream.close());
      const report = await replayOrder({ orderApi: upstream.orderApi, queues: p.queues, ledger: p.ledger }, input);
      expect(report).toMatchObject({
        result: 'invalid',
        error: expect.stringContaining('order id must be a positive integer'),
      });
      expect(await p.queues.orders.count()).toBe(0);
    },
  );
});
