import { describe, expect, it, onTestFinished } from 'vitest';
import type { FanOutCounts } from '../../src/queue/jobs.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { EXACT, invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { startProxy } from '../helpers/proxy.ts';
import { waitFor } from '../helpers/wait.ts';

describe('backpressure', () => {
  it('adds only a probe of orders per cycle while the Stock API keeps failing, and resumes when it answers', async () => {
    const h = await startSim({
      orders: 60,
      stock: { oak: 10_000, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 },
    });
    onTestFinished(() => h.sim.close());
    const stocks = await startProxy(h.sim.stockUrl);
    onTestFinished(() => stocks.close());
    await stocks.set('refuse');
    const p = await startPipeline(
      testConfig(h.sim, {
        API_URL_STOCKS: stocks.url,
        INTERVAL_SECONDS: '0.3',
        RETRY_ATTEMPTS: '100',
        RETRY_BACKOFF_MS: '20',
        RETRY_BACKOFF_MAX_MS: '200',
        BACKPRESSURE_PROBE_ORDERS: '5',
      }),
    );
    onTestFinished(() => p.close());
    await upsertCycleScheduler(p.queues.cycles, p.config);

    const fanOuts = async () =>
      (await p.queues.cycles.getJobs(['waiting-children', 'completed', 'active']))
        .map((job) => job.data.fanOut)
        .filter((fanOut): fanOut is FanOutCounts => fanOut !== undefined);
    await waitFor('a throttled cycle', async () => (await fanOuts()).some((f) => f.throttled));
    // New orders arrive while the Stock API is down: throttled cycles add them five at a time at most.
    for (let i = 0; i < 60; i++) h.store.createOrder('pine', 1);
    await waitFor('two more throttled cycles', async () => (await fanOuts()).filter((f) => f.throttled).length >= 3);
    const throttled = (await fanOuts()).filter((f) => f.throttled);
    expect(throttled.every((f) => f.enqueued <= 5)).toBe(true);
    expect(await p.queues.orders.count()).toBeLessThan(120);

    await stocks.set('up');
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 120, { timeoutMs: 60_000 });
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
  });
});
