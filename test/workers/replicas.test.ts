import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream } from '../../src/clients/upstream.ts';
import { createLogger } from '../../src/logger.ts';
import { CYCLE_JOB, orderJobId } from '../../src/queue/jobs.ts';
import { createQueues, type Queues } from '../../src/queue/queues.ts';
import { createRandom } from '../../src/random.ts';
import { createCycleProcessor } from '../../workers/cycle.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { childEnv, EXACT, invariants, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

function queuesFor(config: ReturnType<typeof testConfig>): Queues {
  const queues = createQueues(config, 'blocking', createLogger('error'));
  onTestFinished(async () => {
    await queues.cycles.obliterate({ force: true });
    await queues.orders.obliterate({ force: true });
    await queues.close();
  });
  return queues;
}

describe('replicas', () => {
  it('two worker processes share the work, each order once, and stop cleanly on SIGTERM', async () => {
    const h = await startSim(
      { orders: 300, stock: { oak: 400, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 } },
      { errorRate: 0, latencyMs: 5 },
    );
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { WORKER_CONCURRENCY: '20', PAGE_SIZE: '50' });
    const queues = queuesFor(config);
    const env = childEnv(config);
    const workers = [spawnCli(['worker'], env), spawnCli(['worker'], env)];
    const scheduler = await runCli(['scheduler'], env);
    expect(scheduler.code).toBe(0);

    await waitFor('every order to leave registered', () => h.store.countByStatus().registered === 0, {
      timeoutMs: 60_000,
    });
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });
    const completed = await queues.orders.getCompleted(0, -1);
    const replicas = new Set(completed.map((job) => job.processedBy));
    expect(replicas.size).toBe(2);

    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  });

  it('keeps one schedule however often and from however many processes the scheduler runs', async () => {
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { INTERVAL_SECONDS: '5' });
    const queues = queuesFor(config);
    const env = childEnv(config);
    const runs = await Promise.all([
      runCli(['scheduler'], env),
      runCli(['scheduler'], env),
      runCli(['scheduler'], env),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect((await queues.cycles.getJobSchedulers()).map((s) => s.every)).toEqual([5000]);

    expect((await runCli(['scheduler'], { ...env, INTERVAL_SECONDS: '7' })).code).toBe(0);
    expect((await queues.cycles.getJobSchedulers()).map((s) => s.every)).toEqual([7000]);
  });

  it('overlapping cycles never enqueue an order twice', async () => {
    const h = await startSim({ orders: 200, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { PAGE_SIZE: '20' });
    const queues = queuesFor(config);
    const upstream = createUpstream(config);
    onTestFinished(() => upstream.close());
    const process = createCycleProcessor({
      orderApi: upstream.orderApi,
      queues,
      pageSize: config.pageSize,
      maxOrders: config.maxOrdersPerCycle,
      errorRate: 0,
      random: createRandom(1),
      logger: createLogger('error'),
      listingKeepMs: 10_000,
    });
    // Two cycles fanning out at the same moment, as if the one-at-a-time limit had been bypassed.
    const cycles = await Promise.all([queues.cycles.add(CYCLE_JOB, {}), queues.cycles.add(CYCLE_JOB, {})]);
    const results = await Promise.all(cycles.map((cycle) => process(cycle)));

    expect(results.reduce((sum, r) => sum + r.enqueued, 0)).toBe(200);
    expect(results.reduce((sum, r) => sum + r.enqueued + r.skipped, 0)).toBe(400);
    expect(await queues.orders.count()).toBe(200);
    const parents = await Promise.all(
      [...h.store.orders.keys()].map(async (id) => (await queues.orders.getJob(orderJobId(id)))?.parentKey),
    );
    expect(parents.every((parent) => parent !== undefined)).toBe(true);
  });
});
