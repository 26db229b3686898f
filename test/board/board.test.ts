import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../../cli/redis-server.ts';
import { startBoard } from '../../src/board/server.ts';
import { createUpstream } from '../../src/clients/upstream.ts';
import { createLogger } from '../../src/logger.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { CYCLE_JOB, orderJobId } from '../../src/queue/jobs.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { replayRetries } from '../../src/queue/replay.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { AUTH, basic, launchChromium, startTestBoard, type TestBoard, useChromium } from '../helpers/board.ts';
import {
  attribute,
  ledgerOf,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { run } from '../helpers/run.ts';
import { waitFor } from '../helpers/wait.ts';

let h: SimHarness;
let p: RunningPipeline;
let board: TestBoard;

/**
 * A finished cycle whose four children failed after taking stock: every status update was refused (a
 * misconfigured proxy answering 403), a failure no retry can help. Then the upstream heals.
 */
async function boardWithFailedCycle(readOnly = false): Promise<string> {
  h = await startSim(
    { orders: 4, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } },
    { errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403 },
  );
  onTestFinished(() => h.sim.close());
  p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '1' }));
  onTestFinished(() => p.close());
  const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
  await waitFor('the cycle to finish', async () => (await p.queues.cycles.getJob(cycle.id as string))?.finishedOn);
  h.options.statusUpdateErrorRate = 0;
  board = await startTestBoard(p, { readOnly });
  return String(cycle.id);
}

const api = (method: string, path: string, auth = true) => board.api(method, path, { auth });

describe('Bull Board in headless Chromium', () => {
  const browser = useChromium();

  it('asks for credentials, then shows both queues, a cycle with its children, and retries a failed job', async () => {
    const cycleId = await boardWithFailedCycle();
    const anonymous = await browser().newPage();
    const refused = anonymous.waitForResponse(board.url);
    // Chromium ends a navigation answered 401 without a way to log in as an error; the answer is what counts.
    await anonymous.goto(board.url).catch(() => undefined);
    expect((await refused).status()).toBe(401);
    await anonymous.close();

    const context = await browser().newContext({
      httpCredentials: { username: AUTH.user, password: AUTH.password },
      viewport: { width: 1400, height: 1000 },
    });
    const page = await context.newPage();
    expect((await page.goto(board.url))?.status()).toBe(200);
    await expect
      .poll(() => page.locator('body').textContent(), { timeout: 15_000 })
      .toMatch(/QUEUES[\s\S]*cycles[\s\S]*orders/);

    await page.goto(`${board.url}/queue/cycles/${cycleId}`);
    const flow = page.locator('.react-flow');
    await flow.waitFor();
    await expect
      .poll(async () => ((await flow.textContent()) ?? '').match(/order-\d/g)?.sort(), { timeout: 15_000 })
      .toEqual(['order-1', 'order-2', 'order-3', 'order-4']);
    const screenshot = artifactPath('board-cycle.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    // Written where git ignores it, not into the tracked tree.
    expect((await run('git', ['check-ignore', screenshot])).code).toBe(0);

    await page.goto(`${board.url}/queue/orders/${orderJobId(1)}`);
    page.on('dialog', (dialog) => void dialog.accept());
    const retried = page.waitForRequest((req) => req.method() === 'PUT' && /\/retry(\/failed)?$/.test(req.url()));
    // Retry is the job card's refresh icon; the button carries no text or label.
    await page.locator('button:has(svg.lucide-refresh-cw)').first().click();
    const confirm = page.getByRole('button', { name: /retry|confirm|yes/i });
    if (await confirm.count()) await confirm.first().click();
    await retried;
    await waitFor('order 1 to ship after the retry', () => h.store.orders.get(1)?.order_status === 'shipped');
    // The ledger held the decision: the status was set, the stock was not taken again.
    expect((await attribute(h, p.ledger)).perOrder.get(1)).toBe(1);
    expect(h.store.decreaseLog).toHaveLength(4);
    await context.close();
  });
});

describe('replay and search over HTTP', () => {
  it('needs credentials for everything but the health probes', async () => {
    await boardWithFailedCycle();
    expect((await api('GET', '/board/api/orders/1/jobs', false)).status).toBe(401);
    expect((await api('POST', '/board/api/orders/1/replay', false)).status).toBe(401);
    expect((await api('GET', '/board', false)).status).toBe(401);
    expect(await api('GET', '/readyz', false)).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect((await api('GET', '/livez', false)).status).toBe(200);
  });

  it('finds the jobs of an order with links to the board', async () => {
    const cycleId = await boardWithFailedCycle();
    const found = await api('GET', '/board/api/orders/2/jobs');
    expect(found.status).toBe(200);
    expect(found.body.jobs).toEqual([
      expect.objectContaining({
        id: 'order-2',
        state: 'failed',
        boardUrl: '/board/queue/orders/order-2',
      }),
      expect.objectContaining({
        id: cycleId,
        state: 'completed',
        role: 'parent cycle',
        boardUrl: `/board/queue/cycles/${cycleId}`,
      }),
    ]);
    expect(found.body.ledger).toMatchObject({ orderId: 2, state: 'taken', outcome: 'shipped' });
    expect(await api('GET', '/board/api/orders/99/jobs')).toMatchObject({ status: 404, body: { ledger: null } });
    expect(await api('GET', '/board/api/orders/abc/jobs')).toMatchObject({ status: 400 });
  });

  it('replays a good id, refuses unknown and non-numeric ids, and reports an order in flight', async () => {
    await boardWithFailedCycle();
    expect(await api('POST', '/board/api/orders/3/replay')).toMatchObject({
      status: 202,
      body: { result: 'retried', jobId: 'order-3', boardUrl: '/board/queue/orders/order-3' },
    });
    await waitFor('order 3 to ship', () => h.store.orders.get(3)?.order_status === 'shipped');
    expect((await attribute(h, p.ledger)).perOrder.get(3)).toBe(1);

    expect(await api('POST', '/board/api/orders/999/replay')).toMatchObject({
      status: 404,
      body: { result: 'unknown' },
    });
    expect(await api('POST', '/board/api/orders/x1/replay')).toMatchObject({
      status: 400,
      body: { result: 'invalid' },
    });

    await p.workers.processOrder.pause();
    await (await p.queues.orders.getJob(orderJobId(4)))?.remove();
    await enqueueOrders(p.queues, [4]);
    expect(await api('POST', '/board/api/orders/4/replay')).toMatchObject({
      status: 409,
      body: { result: 'in-flight', jobId: 'order-4', state: 'waiting' },
    });
    expect(await api('GET', '/board/api/orders/4/replay')).toMatchObject({ status: 405 });
  });

  it('refuses request bodies over 1 MiB, announced or streamed', async () => {
    await boardWithFailedCycle();
    const big = await request(`${board.url}/api/queues/orders/order-1/update-data`, {
      method: 'PUT',
      headers: {
        authorization: basic(AUTH.user, AUTH.password),
        'content-type': 'application/json',
        'content-length': String(2 * 1024 * 1024),
      },
      body: 'x'.repeat(2 * 1024 * 1024),
    }).catch((error: unknown) => error);
    expect(big).toMatchObject({ statusCode: 413 });
    // No length announced: counted as it arrives, refused once it passes the limit.
    const chunks = () => Readable.from(Array.from({ length: 3 }, () => Buffer.alloc(512 * 1024, 'x')));
    const streamed = await request(`${board.url}/api/queues/orders/order-1/update-data`, {
      method: 'PUT',
      headers: { authorization: basic(AUTH.user, AUTH.password), 'content-type': 'application/json' },
      body: chunks(),
    }).catch((error: unknown) => error);
    expect(streamed).toMatchObject({ statusCode: 413 });
    expect((await p.queues.orders.getJob(orderJobId(1)))?.data).toMatchObject({ orderId: 1 });
  });

  it('answers 405 to replays and queue actions in read-only mode', async () => {
    await boardWithFailedCycle(true);
    expect(await api('POST', '/board/api/orders/1/replay')).toMatchObject({ status: 405 });
    const pause = await request(`${board.url}/api/queues/orders/pause`, {
      method: 'PUT',
      headers: { authorization: basic(AUTH.user, AUTH.password) },
    });
    expect(pause.statusCode).toBe(405);
  });
});

describe('what the board sends', () => {
  it('a Content-Security-Policy allowing only its own origin on every answer, and a Bull Board page naming no other', async () => {
    await boardWithFailedCycle();
    for (const path of [
      '/board',
      '/board/queue/cycles',
      '/board/orders',
      '/board/orders/1',
      '/board/api/orders/1/jobs',
    ]) {
      const answer = await api('GET', path);
      expect(answer.status, path).toBeLessThan(400);
      const policy = String(answer.headers['content-security-policy']);
      expect(policy, path).toContain("default-src 'self'");
      expect(policy, path).toContain("script-src 'self'");
      expect(policy, path).not.toMatch(/https?:|\*/);
    }
    const page = (await api('GET', '/board')).body as string;
    expect(page).not.toMatch(/https?:\/\/|fonts\.googleapis/);
    expect(page).toContain('<form class="om-search" action="orders" method="get"');
    const css = await api('GET', '/board/ordermanagement.css');
    expect(css).toMatchObject({ status: 200, headers: { 'content-type': 'text/css; charset=utf-8' } });
  });

  it('serves the same at the root as under a base path, and finds its way from anywhere else', async () => {
    await boardWithFailedCycle();
    const prefixed = board;
    expect(await prefixed.api('GET', '/board/')).toMatchObject({ status: 302, headers: { location: '/board' } });
    expect(await prefixed.api('GET', '/elsewhere')).toMatchObject({ status: 302, headers: { location: '/board' } });
    expect(await prefixed.api('GET', '/board/nothing/here')).toMatchObject({ status: 404 });
    const root = await startTestBoard(p, { basePath: '/' });
    const page = await root.api('GET', '/');
    expect(page.body).toContain('<base href="/" />');
    expect(page.body).toContain('<form class="om-search" action="orders"');
    expect(await root.api('GET', '/orders?id=2')).toMatchObject({ status: 303, headers: { location: '/orders/2' } });
    const order = (await root.api('GET', '/orders/2')).body as string;
    expect(order).toContain('<link rel="stylesheet" href="/ordermanagement.css">');
    expect(order).toContain('<a href="/queue/orders/order-2">order-2</a>');
    expect((await root.api('GET', '/ordermanagement.css')).status).toBe(200);
    expect((await root.api('GET', '/api/orders/2/jobs')).body.jobs[0].boardUrl).toBe('/queue/orders/order-2');
  });

  it("refuses a change another site's page makes the browser send; scripts and the board's own pages go on", async () => {
    await boardWithFailedCycle();
    const post = (path: string, headers: Record<string, string>) => board.api('POST', path, { headers });
    for (const path of ['/board/api/orders/1/replay', '/board/orders/1/replay']) {
      expect((await post(path, { origin: 'https://evil.example' })).status, path).toBe(403);
      expect((await post(path, { origin: 'null' })).status, path).toBe(403);
      expect((await post(path, { 'sec-fetch-site': 'cross-site', origin: board.origin })).status, path).toBe(403);
      expect((await post(path, { 'sec-fetch-site': 'same-site' })).status, path).toBe(403);
    }
    const pause = await board.api('PUT', '/board/api/queues/orders/pause', {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(pause.status).toBe(403);
    expect(await p.queues.orders.isPaused()).toBe(false);
    expect(await p.queues.orders.getJobState(orderJobId(1))).toBe('failed');
    // The board's own page (same origin), then a script with no browser headers.
    const host = new URL(board.origin).host;
    expect((await post('/board/api/orders/1/replay', { 'sec-fetch-site': 'same-origin' })).status).toBe(202);
    expect((await post('/board/api/orders/2/replay', { origin: `https://${host}` })).status).toBe(202);
    expect((await post('/board/api/orders/3/replay', {})).status).toBe(202);
  });

  it('lists each cycle by what it did', async () => {
    const cycleId = await boardWithFailedCycle();
    const list = await api('GET', '/board/api/queues?activeQueue=cycles&status=completed&page=1&jobsPerPage=10');
    const cycles = list.body.queues.find((queue: { name: string }) => queue.name === 'cycles');
    expect(cycles.jobs.map((job: { id: string; name: string }) => [job.id, job.name])).toEqual([
      [cycleId, 'cycle · 4 orders · 4 failed'],
    ]);
  });

  it("shows a completed job without an earlier attempt's failure, which moves into its data; a failed job keeps it", async () => {
    const failing = await startSim(
      { orders: 2, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } },
      {
        errorRate: 0,
        statusUpdateErrorRate: 1,
        statusUpdateErrorStatus: 502,
      },
    );
    onTestFinished(() => failing.sim.close());
    p = await startPipeline(testConfig(failing.sim, { RETRY_ATTEMPTS: '5', RETRY_BACKOFF_MS: '300' }));
    onTestFinished(() => p.close());
    await enqueueOrders(p.queues, [1]);
    await waitFor('a first attempt to fail', async () => (await p.queues.orders.getJob(orderJobId(1)))?.failedReason);
    failing.options.statusUpdateErrorRate = 0;
    await waitFor('order 1 to ship', async () => (await p.queues.orders.getJobState(orderJobId(1))) === 'completed');
    board = await startTestBoard(p);

    const one = (await api('GET', '/board/api/queues/orders/order-1')).body;
    expect(one.status).toBe('completed');
    expect(one.job).toMatchObject({ isFailed: false, stacktrace: [], returnValue: { outcome: 'shipped' } });
    expect(one.job.failedReason).toBeUndefined();
    expect(one.job.data.earlierAttempts).toEqual([expect.stringContaining('answered 502')]);
    const listed = (await api('GET', '/board/api/queues?activeQueue=orders&status=latest&page=1&jobsPerPage=10')).body;
    const jobs = listed.queues.find((queue: { name: string }) => queue.name === 'orders').jobs;
    expect(jobs).toEqual([expect.objectContaining({ id: 'order-1', isFailed: false, stacktrace: [] })]);

    // A job that failed for good shows its failure as it is.
    failing.options.statusUpdateErrorRate = 1;
    failing.options.statusUpdateErrorStatus = 403;
    await enqueueOrders(p.queues, [2]);
    await waitFor('order 2 to fail', async () => (await p.queues.orders.getJobState(orderJobId(2))) === 'failed');
    const failed = (await api('GET', '/board/api/queues/orders/order-2')).body.job;
    expect(failed).toMatchObject({ isFailed: true, failedReason: expect.stringContaining('answered 403') });
    expect(failed.data.earlierAttempts).toBeUndefined();
  });
});

describe('the board while Redis is down', () => {
  it('answers at once with a 503 that says so, for the API and for the page', async () => {
    const redis = await startRedisServer();
    onTestFinished(() => redis.destroy());
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { REDIS_URL: redis.url });
    const queues = createQueues(config, 'blocking', createLogger('error'));
    onTestFinished(() => queues.close());
    const upstream = createUpstream(config);
    onTestFinished(() => upstream.close());
    const down = await startBoard({
      queues,
      ledger: ledgerOf(queues.redis, config),
      orderApi: upstream.orderApi,
      logger: createLogger('error'),
      host: '127.0.0.1',
      port: 0,
      basePath: '/board',
      readOnly: false,
      credentials: AUTH,
      readinessChecks: { redis: async () => (await queues.redis.ping()) === 'PONG' },
      retries: replayRetries(config),
    });
    onTestFinished(() => down.close());
    const get = async (path: string) => {
      const started = Date.now();
      const res = await request(`${down.url}${path}`, {
        headers: { authorization: basic(AUTH.user, AUTH.password) },
        headersTimeout: 5000,
      });
      return { status: res.statusCode, text: await res.body.text(), ms: Date.now() - started };
    };
    await queues.redis.ping();
    expect((await get('/api/queues')).status).toBe(200);

    await redis.stop();
    await waitFor('the board to notice', () => queues.redis.status !== 'ready');
    const api = await get('/api/queues');
    expect(api).toMatchObject({ status: 503, text: expect.stringContaining('Redis is unreachable (REDIS_URL)') });
    expect(api.ms).toBeLessThan(1000);
    const page = await get('/');
    expect(page).toMatchObject({ status: 503, text: expect.stringContaining('<h1>Redis unreachable</h1>') });

    const browser = await launchChromium();
    onTestFinished(() => browser.close());
    const context = await browser.newContext({ httpCredentials: { username: AUTH.user, password: AUTH.password } });
    const tab = await context.newPage();
    await tab.goto(down.url);
    expect(await tab.locator('h1').textContent()).toBe('Redis unreachable');

    await redis.start();
    await waitFor('Redis to be back for the board', async () => (await get('/api/queues')).status === 200);
  });
});
