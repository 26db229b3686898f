import { describe, expect, it, onTestFinished } from 'vitest';
import { CYCLE_JOB, PROCESS_ORDER_JOB, type ProcessOrderData } from '../../src/queue/jobs.ts';
import { type RunningPipeline, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

async function setup(orders: number) {
  const h = await startSim({ orders, stock: { oak: 1000, maple: 1000, birch: 1000, elm: 1000, pine: 1000 } });
  onTestFinished(() => h.sim.close());
  const p: RunningPipeline = await startPipeline(testConfig(h.sim));
  onTestFinished(() => p.close());
  return { h, p };
}

describe('bad input never crashes a worker nor half-applies', () => {
  it('fails a hand-made job with invalid data at once, and goes on with the next', async () => {
    const { h, p } = await setup(1);
    const bad = await p.queues.orders.add(PROCESS_ORDER_JOB, { orderId: 'abc' } as unknown as ProcessOrderData, {
      jobId: 'by-hand',
    });
    await p.queues.orders.add(PROCESS_ORDER_JOB, { orderId: 1 }, { jobId: 'order-1' });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    const failed = await waitFor('the bad job to fail', async () => {
      const job = await p.queues.orders.getJob(bad.id as string);
      return job?.finishedOn ? job : undefined;
    });
    expect(failed.failedReason).toBe('invalid job data: job data orderId must be a positive integer, got "abc"');
    expect(failed.attemptsMade).toBe(1);
    expect(p.workers.processOrder.isRunning()).toBe(true);
  });

  it('reports an order the API sends malformed, processes the rest, and leaves it untouched', async () => {
    const { h, p } = await setup(6);
    const broken = h.store.orders.get(3);
    if (broken) broken.quantity = -4;
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    const done = await waitFor('the cycle to complete', async () => {
      const job = await p.queues.cycles.getJob(cycle.id as string);
      return job?.finishedOn ? job : undefined;
    });
    expect(done.returnvalue).toMatchObject({ fetched: 5, enqueued: 5, invalid: 1, outcomes: { shipped: 5 } });
    expect(h.store.orders.get(3)?.order_status).toBe('registered');
    expect(h.store.countByStatus().shipped).toBe(5);
    expect(h.store.decreasesByKey.has('order-3-decrease')).toBe(false);
  });

  it('fails an order whose re-read breaks the contract without taking stock', async () => {
    const { h, p } = await setup(2);
    const broken = h.store.orders.get(2);
    if (broken) broken.wood_type = 'teak';
    await p.queues.orders.add(PROCESS_ORDER_JOB, { orderId: 2 }, { jobId: 'order-2' });
    const failed = await waitFor('the job to fail', async () => {
      const job = await p.queues.orders.getJob('order-2');
      return job?.finishedOn ? job : undefined;
    });
    expect(failed.failedReason).toContain('wood_type must be one of');
    expect(h.store.decreasesByKey.size).toBe(0);
    expect(h.store.orders.get(2)?.order_status).toBe('registered');
  });
});
