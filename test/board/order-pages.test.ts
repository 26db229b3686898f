import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CYCLE_JOB, orderJobId } from '../../src/queue/jobs.ts';
import { createRandom } from '../../src/random.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { AUTH, boardWithOrderWaiting, startTestBoard, type TestBoard, useChromium } from '../helpers/board.ts';
import { startGate } from '../helpers/gate.ts';
import { type RunningPipeline, type SimHarness, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };
const MARKUP = '<img src=x onerror=alert(1)>';

/**
 * Four orders through one cycle whose status updates are all refused, with a message carrying
 * markup: every job fails after its stock was taken. Then the upstream heals.
 */
async function failedCycle(options: Parameters<typeof startTestBoard>[1] = {}): Promise<{
  h: SimHarness;
  p: RunningPipeline;
  board: TestBoard;
  cycleId: string;
  failReads: (n: number) => void;
}> {
  const h = await startSim({ orders: 4, stock: STOCK }, { errorRate: 0 });
  onTestFinished(() => h.sim.close());
  let refuse = true;
  let unavailable = 0;
  // A proxy that refuses status updates with markup in its message, and answers order 4 with markup in its wood type.
  const orders = await startGate(h.sim.orderUrl, {
    intercept: ({ method, url }) => {
      if (method === 'PUT' && refuse) return { status: 403, body: { error: MARKUP } };
      if (method === 'GET' && unavailable > 0 && /^\/orders\/\d+$/.test(url.pathname)) {
        unavailable -= 1;
        return { status: 503, body: { error: 'unavailable for a moment' } };
      }
      if (method === 'GET' && url.pathname === '/orders/4' && !refuse) {
        return {
          status: 200,
          body: { id: 4, wood_type: '<script>alert(2)</script>', quantity: 1, order_status: 'registered' },
        };
      }
      return undefined;
    },
  });
  onTestFinished(() => orders.close());
  const p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '1', API_URL_ORDERS: orders.url }));
  onTestFinished(() => p.close());
  const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
  await waitFor('the cycle to finish', async () => (await p.queues.cycles.getJob(String(cycle.id)))?.finishedOn);
  refuse = false;
  const board = await startTestBoard(p, options);
  const failReads = (n: number) => {
    unavailable = n;
  };
  return { h, p, board, cycleId: String(cycle.id), failReads };
}

const form = (board: TestBoard, path: string, fields: Record<string, string> = {}) =>
  board.api('POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('the order pages over HTTP', () => {
  it('ask for credentials like everything else', async () => {
    const { board } = await failedCycle();
    for (const [method, path] of [
      ['GET', '/board/orders'],
      ['GET', '/board/orders/1'],
      ['POST', '/board/orders/1/replay'],
    ] as const) {
      expect((await board.api(method, path, { auth: false })).status, path).toBe(401);
    }
  });

  it('go from the search to the order page, and say what is wrong with a bad id without echoing markup', async () => {
    const { board } = await failedCycle();
    const found = await board.api('GET', '/board/orders?id=%202%20');
    expect(found).toMatchObject({ status: 303, headers: { location: '/board/orders/2' } });
    const bad: [string, string][] = [
      ['abc', '&quot;abc&quot;: order id must be a positive integer'],
      ['0', '&quot;0&quot;: order id must be a positive integer'],
      ['99999999999999999999', '&quot;99999999999999999999&quot;'],
      ['💥', '&quot;💥&quot;'],
      ['<script>alert(1)</script>', '&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;'],
    ];
    for (const [id, shown] of bad) {
      for (const path of [`/board/orders?id=${encodeURIComponent(id)}`, `/board/orders/${encodeURIComponent(id)}`]) {
        const answer = await board.api('GET', path);
        expect(answer.status, path).toBe(400);
        expect(answer.body, path).toContain(shown);
        expect(answer.body, path).not.toContain('<script>alert');
      }
    }
  });

  it("show an order's record, decrease, job and cycle, with markup from upstream shown as text", async () => {
    const { board, cycleId } = await failedCycle();
    const page = (await board.api('GET', '/board/orders/2')).body as string;
    expect(page).toContain('<h1>Order 2</h1>');
    expect(page).toMatch(/Status <span class="om-state om-state-registered">registered<\/span> · \d+ \w+/);
    expect(page).toContain('<span class="om-state om-state-taken">taken</span> the stock was decreased for this order');
    expect(page).toContain('<a href="/board/queue/orders/order-2">order-2</a>');
    expect(page).toContain('om-state-failed');
    expect(page).toContain(`<a href="/board/queue/cycles/${cycleId}">${cycleId}</a>`);
    expect(page).toContain('cycle · 4 orders · 4 failed');
    expect(page).toContain('<button type="submit">Replay order 2</button>');
    // The job's failure carries the upstream's message: text, never markup.
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain(MARKUP);
    const four = (await board.api('GET', '/board/orders/4')).body as string;
    expect(four).toContain('The Order API could not be asked');
    expect(four).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(four).not.toContain('<script>alert');

    const unknown = (await board.api('GET', '/board/orders/999')).body as string;
    expect(unknown).toContain('The Order API does not know order 999.');
    expect(unknown).toContain('No job');
    expect(unknown).toContain('No decrease recorded');
  });

  it('replay through the same code path as the CLI, and answer 409 with the reason to a second press', async () => {
    const { h, p, board } = await failedCycle();
    await p.workers.processOrder.pause();
    const first = await form(board, '/board/orders/3/replay');
    expect(first.status).toBe(202);
    expect(first.body).toContain('order 3: retried failed job order-3');
    const second = await form(board, '/board/orders/3/replay');
    expect(second.status).toBe(409);
    expect(second.body).toContain('order 3: job order-3 is already waiting; nothing added');
    expect((await form(board, '/board/orders/3/replay', { assume: 'maybe' })).status).toBe(400);
    expect((await form(board, '/board/orders/2/replay', { assume: 'decreased' })).body).toContain(
      'order 2 has no stock decrease waiting for a person',
    );
    await p.workers.processOrder.resume();
    await waitFor('order 3 to ship', () => h.store.orders.get(3)?.order_status === 'shipped');
    expect(h.store.decreaseLog).toHaveLength(4);
  });

  it('replay through transient Order API failures, as the CLI does; say so when they last', async () => {
    // The jobs of this test have one attempt; replays here get three.
    const { p, board, failReads } = await failedCycle({
      retries: { attempts: 3, backoffMs: 5, backoffMaxMs: 20, random: createRandom(1) },
    });
    await p.workers.processOrder.pause();
    failReads(2);
    expect(await form(board, '/board/orders/3/replay')).toMatchObject({ status: 202 });
    failReads(100);
    const down = await board.api('POST', '/board/api/orders/2/replay');
    expect(down).toMatchObject({ status: 502, body: { error: expect.stringContaining('answered 503') } });
    expect(await p.queues.orders.getJobState(orderJobId(2))).toBe('failed');
  });

  it('in read-only mode, offer no button that works, and refuse the form with 405', async () => {
    const { p, board } = await failedCycle({ readOnly: true });
    const page = (await board.api('GET', '/board/orders/3')).body as string;
    expect(page).toContain('The board is read-only (BOARD_READ_ONLY)');
    expect(page).toContain('<button type="submit" disabled>Replay order 3</button>');
    const pressed = await form(board, '/board/orders/3/replay');
    expect(pressed.status).toBe(405);
    expect(pressed.body).toContain('the board is read-only (BOARD_READ_ONLY)');
    expect(await p.queues.orders.getJobState(orderJobId(3))).toBe('failed');
  });
});

/**
 * Every request the browser makes, and every error it reports: a Content-Security-Policy violation,
 * a resource that failed to load.
 */
function watch(context: BrowserContext): { requests: string[]; errors: string[] } {
  const seen = { requests: [] as string[], errors: [] as string[] };
  context.on('request', (req) => seen.requests.push(req.url()));
  context.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/.test(message.text())) {
      seen.errors.push(`${message.text()} (${message.location().url})`);
    }
  });
  return seen;
}

async function browse(browser: Browser, board: TestBoard) {
  const context = await browser.newContext({
    httpCredentials: { username: AUTH.user, password: AUTH.password },
    viewport: { width: 1280, height: 900 },
  });
  onTestFinished(() => context.close());
  const seen = watch(context);
  return {
    context,
    seen,
    page: await context.newPage(),
    sameOrigin: () => seen.requests.filter((url) => new URL(url).origin !== board.origin),
  };
}

const text = async (page: Page) => (await page.locator('body').textContent()) ?? '';

/** One browser for both Chromium suites below. */
const browser = useChromium();

describe('the order pages in headless Chromium', () => {
  it("find an order from Bull Board's search box: its jobs, its cycle and its decrease, all from the board's origin", async () => {
    const { board, cycleId } = await failedCycle();
    const { page, seen, sameOrigin } = await browse(browser(), board);
    await page.goto(board.url);
    await page.locator('.om-search input[name=id]').fill('2');
    await page.locator('.om-search button').click();
    await page.waitForURL(`${board.url}/orders/2`);
    const shown = await text(page);
    expect(shown).toContain('Order 2');
    expect(shown).toMatch(/taken\s+the stock was decreased for this order/);
    expect(shown).toContain(`Cycle ${cycleId}`);
    expect(shown).toContain('cycle · 4 orders · 4 failed');
    expect(shown).toContain(MARKUP);
    await page.screenshot({ path: artifactPath('board-order.png'), fullPage: true });
    // The job's link opens it in Bull Board.
    await page.getByRole('link', { name: 'order-2' }).click();
    await page.waitForURL(`${board.url}/queue/orders/order-2`);
    await expect.poll(() => text(page), { timeout: 15_000 }).toContain('process-order #2');
    expect(seen.requests.length).toBeGreaterThan(10);
    expect(sameOrigin()).toEqual([]);
    expect(seen.errors).toEqual([]);
  });
});

describe('an order waiting for a person, answered in headless Chromium', () => {
  it('is listed, shows the facts, and "was decreased" sets its status without taking the stock again', async () => {
    const { h, p, facts, board } = await boardWithOrderWaiting();
    const { page, seen, sameOrigin } = await browse(browser(), board);
    await page.goto(board.url);
    await page.locator('.om-search').getByRole('link', { name: 'Orders waiting for a person' }).click();
    await page.waitForURL(`${board.url}/orders`);
    await page.getByRole('link', { name: 'Order 1', exact: true }).click();
    await page.waitForURL(`${board.url}/orders/1`);
    const shown = await text(page);
    expect(shown).toMatch(/waiting for a person\s+the level cannot tell whether the stock was taken/);
    expect(shown).toContain(`the oak level was 100 before it, so taken would leave ${100 - facts.quantity}`);
    expect(shown).toMatch(/level found\s*\d+/);
    await page.screenshot({ path: artifactPath('board-order-waiting.png'), fullPage: true });

    await page.getByLabel('I checked the oak stock').check();
    await page.getByRole('button', { name: /It was decreased/ }).click();
    await expect.poll(() => text(page)).toContain('settled as taken: only the status is set');
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect(h.store.stock.get('oak')).toBe(facts.level);
    expect(h.store.decreaseLog).toHaveLength(1);
    expect(await p.ledger.stats()).toMatchObject({ toPerson: 1, decidedByPerson: 1 });
    await page.goto(`${board.url}/orders`);
    expect(await text(page)).toContain('No order waits for a person.');
    expect(sameOrigin()).toEqual([]);
    expect(seen.errors).toEqual([]);
  });

  it('answered from two tabs at once, one answer counts and the other tab says why', async () => {
    const { h, facts, board } = await boardWithOrderWaiting();
    const { context } = await browse(browser(), board);
    const tabs = await Promise.all([context.newPage(), context.newPage()]);
    for (const tab of tabs) {
      await tab.goto(`${board.url}/orders/1`);
      await tab.getByLabel('I checked the oak stock').check();
    }
    await Promise.all([
      tabs[0]?.getByRole('button', { name: /It was decreased/ }).click(),
      tabs[1]?.getByRole('button', { name: /It was not decreased/ }).click(),
    ]);
    const answers = await Promise.all(
      tabs.map((tab) =>
        waitFor(
          'the answer',
          async () =>
            (await tab
              .locator('[role=status]')
              .textContent()
              .catch(() => null)) ?? undefined,
        ),
      ),
    );
    const counted = answers.filter((answer) => answer.includes('settled as'));
    expect(counted).toHaveLength(1);
    expect(answers.filter((answer) => !answer.includes('settled as'))[0]).toMatch(
      /another replay or answer of order 1 is under way|has no stock decrease waiting for a person|settled meanwhile/,
    );
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    const taken = counted[0]?.includes('settled as taken');
    expect(h.store.stock.get('oak')).toBe(taken ? facts.level : facts.level - facts.quantity);
  });
});
