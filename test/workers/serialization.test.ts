import { describe, expect, it, onTestFinished } from 'vitest';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

/** 120 pine orders against a Stock API that reads, waits and writes back, like the reference one. */
async function run(serialize: boolean) {
  const h = await startSim({ orders: 0, stock: { pine: 100_000 } }, { errorRate: 0, nonAtomic: true });
  onTestFinished(() => h.sim.close());
  for (let i = 0; i < 120; i++) h.store.createOrder('pine', 1 + (i % 3));
  const p = await startPipeline(
    testConfig(h.sim, { WORKER_CONCURRENCY: '30', SERIALIZE_STOCK_DECREASES: String(serialize) }),
  );
  onTestFinished(() => p.close());
  await enqueueOrders(p.queues, [...h.store.orders.keys()]);
  await waitFor('every order to ship', () => h.store.countByStatus().shipped === 120);
  return invariants(h);
}

describe('decreases of one wood type against a non-atomic Stock API', () => {
  it('lose updates when run concurrently: stock falls by less than was shipped', async () => {
    const { excess } = await run(false);
    expect(excess.pine).toBeLessThan(0);
  });

  it('stay exact when serialized per wood type (the default)', async () => {
    const { excess, doubleDecreases } = await run(true);
    expect(excess.pine).toBe(0);
    expect(doubleDecreases).toEqual([]);
  });
});
