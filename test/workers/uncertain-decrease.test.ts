import { describe, expect, it } from 'vitest';
import { enqueueOrders } from '../../src/enqueue.ts';
import { orderJobId, PROCESS_ORDER_JOB } from '../../src/jobs.ts';
import { cleanupAfterEach } from '../helpers/cleanup.ts';
import { runCli } from '../helpers/cli.ts';
import { childEnv, type SimHarness, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanup = cleanupAfterEach();

/** One order whose decrease takes effect but whose answer comes after the worker's timeout. */
async function lostAnswer(keys: 'ignored' | 'honoured') {
  const h: SimHarness = await startSim(
    { orders: 1, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } },
    { errorRate: 0, decreaseAnswerDelayMs: 2500, honourIdempotencyKey: keys === 'honoured' },
  );
  cleanup(() => h.sim.close());
  const p = await startPipeline(
    testConfig(h.sim, { HTTP_TIMEOUT_MS: '150', RETRY_ATTEMPTS: '5', STOCK_IDEMPOTENCY_KEYS: keys }),
  );
  cleanup(() => p.close());
  await enqueueOrders(p.queues, [1]);
  return { h, p };
}

describe('a decrease whose answer is lost', () => {
  it('fails the job for a person to decide when the Stock API ignores Idempotency-Key, and never decreases twice', async () => {
    const { h, p } = await lostAnswer('ignored');
    const job = await waitFor('the job to fail', async () => {
      const found = await p.queues.orders.getJob(orderJobId(1));
      return found?.finishedOn ? found : undefined;
    });
    expect(job.failedReason).toContain('may or may not have happened');
    expect(job.attemptsMade).toBe(1);
    expect(job.data).toMatchObject({ decreaseSent: true });
    expect(h.store.orders.get(1)?.order_status).toBe('registered');
    expect(h.store.decreasesByKey.get('order-1-decrease')).toBe(1);

    h.options.decreaseAnswerDelayMs = 0;
    const env = childEnv(p.config);
    const undecided = await runCli(['replay', '1'], env);
    expect(undecided.code).toBe(1);
    expect(undecided.stderr).toContain('check the stock, then replay with --decreased');

    // A person checked: the stock was taken. Only the status is set now.
    const decided = await runCli(['replay', '--decreased', '1'], env);
    expect(decided).toMatchObject({
      code: 0,
      stdout: 'order 1: retried failed job order-1 (stock step done: shipped; only the status is set)\n',
    });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect(h.store.decreasesByKey.get('order-1-decrease')).toBe(1);
  });

  it('sends the decrease again when the Stock API honours Idempotency-Key, which takes stock once', async () => {
    const { h } = await lostAnswer('honoured');
    // The first answer is lost; the retry repeats the key and the Stock API answers from its record.
    await waitFor('the first decrease', () => h.store.decreasesByKey.get('order-1-decrease') === 1);
    h.options.decreaseAnswerDelayMs = 0;
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect(h.store.decreasesByKey.get('order-1-decrease')).toBe(1);
  });

  it('refuses replay flags it does not know, or both at once', async () => {
    const env = { PATH: process.env.PATH };
    expect((await runCli(['replay', '--force', '1'], env)).stderr).toContain('replay does not know --force');
    const both = await runCli(['replay', '--decreased', '--not-decreased', '1'], env);
    expect(both).toMatchObject({ code: 64 });
  });
});

describe('an attempt that died after sending the decrease (marked, no outcome recorded)', () => {
  /** The job as such a worker leaves it: listed, marked as sent; the retry is what runs here. */
  async function retryAfterDeath(statusNow: 'registered' | 'shipped') {
    const h: SimHarness = await startSim({
      orders: 1,
      stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 },
    });
    cleanup(() => h.sim.close());
    const order = h.store.orders.get(1);
    if (!order) throw new Error('no order 1');
    h.store.setStatus(order, statusNow);
    const p = await startPipeline(testConfig(h.sim));
    cleanup(() => p.close());
    await p.queues.orders.add(
      PROCESS_ORDER_JOB,
      { orderId: 1, listed: { woodType: 'oak', quantity: 1 }, decreaseSent: true },
      { jobId: orderJobId(1) },
    );
    const job = await waitFor('the job to finish', async () => {
      const found = await p.queues.orders.getJob(orderJobId(1));
      return found?.finishedOn ? found : undefined;
    });
    return { h, job };
  }

  it('completes without a decrease when the order shows its status was written', async () => {
    const { h, job } = await retryAfterDeath('shipped');
    expect(job.returnvalue).toEqual({ orderId: 1, outcome: 'skipped', status: 'shipped' });
    expect(h.store.orderReads).toBe(1);
    expect(h.store.decreasesByKey.size).toBe(0);
  });

  it('fails as an unknown outcome, without a decrease, when the order is still registered', async () => {
    const { h, job } = await retryAfterDeath('registered');
    expect(job.failedReason).toContain('may or may not have happened (an earlier attempt stopped mid-call)');
    expect(h.store.decreasesByKey.size).toBe(0);
    expect(h.store.orders.get(1)?.order_status).toBe('registered');
  });
});
