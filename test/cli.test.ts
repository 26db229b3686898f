import { describe, expect, it } from 'vitest';
import { enqueueOrders } from '../src/enqueue.ts';
import { orderJobId } from '../src/jobs.ts';
import { cleanupAfterEach } from './helpers/cleanup.ts';
import { runCli } from './helpers/cli.ts';
import {
  attribute,
  childEnv,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from './helpers/pipeline.ts';
import { waitFor } from './helpers/wait.ts';

const cleanup = cleanupAfterEach();

const env = { PATH: process.env.PATH };

describe('the ordermanagement CLI', () => {
  it('refuses bad configuration at start, naming each variable and never echoing a password', async () => {
    const result = await runCli(['worker'], {
      ...env,
      INTERVAL_SECONDS: 'soon',
      ERROR_RATE: '1.5',
      REDIS_URL: 'http://admin:hunter2@redis:6379',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('INTERVAL_SECONDS: must be a number (got "soon")');
    expect(result.stderr).toContain('ERROR_RATE: must be between 0 and 1 (got "1.5")');
    expect(result.stderr).toContain('REDIS_URL: must start with redis:// or rediss://');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('lists every variable with its default and meaning', async () => {
    const result = await runCli(['config', '--json'], env);
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as { variable: string; default: string; doc: string }[];
    const names = entries.map((e) => e.variable);
    for (const name of [
      'REDIS_URL',
      'API_URL_ORDERS',
      'API_URL_STOCKS',
      'INTERVAL_SECONDS',
      'ERROR_RATE',
      'LOG_LEVEL',
    ]) {
      expect(names).toContain(name);
    }
    expect(entries.find((e) => e.variable === 'INTERVAL_SECONDS')?.default).toBe('5');
    expect(entries.every((e) => e.doc.length > 10)).toBe(true);
  });

  it('will not open the board beyond loopback without credentials', async () => {
    const result = await runCli(['board'], { ...env, BOARD_HOST: '0.0.0.0' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('BOARD_HOST is 0.0.0.0, beyond loopback: set BOARD_USER and BOARD_PASSWORD');
  });

  it('answers an unknown command with the usage and exit code 64', async () => {
    const result = await runCli(['frobnicate'], env);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('replay <orderId...>');
  });
});

describe('ordermanagement replay', () => {
  let h: SimHarness;
  let p: RunningPipeline;

  async function setup(faults: Parameters<typeof startSim>[1] = { errorRate: 0 }, start = true) {
    h = await startSim({ orders: 5, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } }, faults);
    cleanup(() => h.sim.close());
    p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1' }));
    cleanup(() => p.close());
    if (!start) await p.workers.processOrder.pause();
  }

  it('enqueues a registered order and processes it', async () => {
    await setup();
    const result = await runCli(['replay', '3'], childEnv(p.config));
    expect(result).toMatchObject({ code: 0, stdout: 'order 3: enqueued job order-3\n' });
    await waitFor('order 3 to ship', () => h.store.orders.get(3)?.order_status === 'shipped');
    expect(h.store.countByStatus().registered).toBe(4);
  });

  it('reports unknown and non-numeric ids as errors and still handles the good ones', async () => {
    await setup();
    const result = await runCli(['replay', '999', 'abc', '-4', '2'], childEnv(p.config));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('order 999: order 999 does not exist in the Order API');
    expect(result.stderr).toContain('"abc": order id must be a positive integer');
    expect(result.stderr).toContain('"-4": order id must be a positive integer');
    expect(result.stdout).toBe('order 2: enqueued job order-2\n');
  });

  it('reports an order whose job is in flight instead of doubling it', async () => {
    await setup({ errorRate: 0 }, false);
    await enqueueOrders(p.queues, [4]);
    const result = await runCli(['replay', '4'], childEnv(p.config));
    expect(result).toMatchObject({ code: 0, stdout: 'order 4: job order-4 is already waiting; nothing added\n' });
    expect(await p.queues.orders.count()).toBe(1);
  });

  it('retries a failed job: the ledger holds its decision, so the status is set and the stock not taken again', async () => {
    // Every status update is refused (a misconfigured proxy): the job fails after the stock was taken.
    await setup({ errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403, honourIdempotencyKey: false });
    await enqueueOrders(p.queues, [1]);
    const failed = await waitFor('the job to fail', async () => {
      const job = await p.queues.orders.getJob(orderJobId(1));
      return (await job?.getState()) === 'failed' ? job : undefined;
    });
    expect(failed.failedReason).toContain('answered 403');
    expect(await p.ledger.order(1)).toMatchObject({ state: 'taken', outcome: 'shipped' });
    expect(h.store.orders.get(1)?.order_status).toBe('registered');

    h.options.statusUpdateErrorRate = 0;
    const result = await runCli(['replay', '1'], childEnv(p.config));
    expect(result).toMatchObject({ code: 0, stdout: 'order 1: retried failed job order-1\n' });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect((await attribute(h, p.ledger)).perOrder.get(1)).toBe(1);
    expect(h.store.decreaseLog).toHaveLength(1);
  });

  it("refuses a person's answer for an order whose decrease is not in doubt", async () => {
    await setup();
    const result = await runCli(['replay', '--decreased', '2'], childEnv(p.config));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'order 2 has no stock decrease waiting for a person; replay it without --decreased',
    );
    expect(await p.queues.orders.count()).toBe(0);
  });

  it('says an order that is no longer registered has nothing to do', async () => {
    await setup();
    await enqueueOrders(p.queues, [5]);
    await waitFor('order 5 to ship and its job to complete', async () => {
      const job = await p.queues.orders.getJob(orderJobId(5));
      return h.store.orders.get(5)?.order_status === 'shipped' && job?.finishedOn !== undefined;
    });
    const result = await runCli(['replay', '5'], childEnv(p.config));
    expect(result).toMatchObject({ code: 0, stdout: 'order 5: status is shipped, not registered; nothing to do\n' });
  });
});
