import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import type { Credentials } from '../../src/board/auth.ts';
import { startBoard } from '../../src/board/server.ts';
import { createUpstream } from '../../src/clients/upstream.ts';
import type { Listening } from '../../src/listen.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { orderJobId } from '../../src/queue/jobs.ts';
import { type ReplayRetries, replayRetries } from '../../src/queue/replay.ts';
import { type RunningPipeline, type SimHarness, startPipeline, startSim, testConfig } from './pipeline.ts';
import { waitFor } from './wait.ts';

export const AUTH: Credentials = { user: 'admin', password: 'correct horse' };
export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whichever field of an answer it checks
  readonly body: any;
  readonly headers: Record<string, unknown>;
}

export interface TestBoard extends Listening {
  /** Scheme, host and port: the base path is not part of it. */
  readonly origin: string;
  /** A request with the test's credentials (or none), its body parsed when it is JSON. */
  api(
    method: string,
    path: string,
    options?: { auth?: boolean; headers?: Record<string, string>; body?: string },
  ): Promise<Answer>;
}

/** The board over a running pipeline's queues, on a free port, closed when the test finishes. */
export async function startTestBoard(
  p: RunningPipeline,
  options: { readOnly?: boolean; basePath?: string; credentials?: Credentials; retries?: ReplayRetries } = {},
): Promise<TestBoard> {
  const upstream = createUpstream(p.config);
  onTestFinished(() => upstream.close());
  const basePath = options.basePath ?? '/board';
  const credentials = options.credentials ?? AUTH;
  const board = await startBoard({
    queues: p.queues,
    ledger: p.ledger,
    orderApi: upstream.orderApi,
    logger: p.logger,
    host: '127.0.0.1',
    port: 0,
    basePath,
    readOnly: options.readOnly ?? false,
    credentials,
    readinessChecks: { redis: async () => (await p.queues.redis.ping()) === 'PONG' },
    retries: options.retries ?? replayRetries(p.config),
  });
  onTestFinished(() => board.close());
  const origin = new URL(board.url).origin;
  return {
    ...board,
    origin,
    async api(method, path, { auth = true, headers = {}, body } = {}) {
      const res = await request(`${origin}${path}`, {
        method: method as 'GET',
        headers: { ...(auth ? { authorization: basic(credentials.user, credentials.password) } : {}), ...headers },
        body,
      });
      const text = await res.body.text();
      const json = (res.headers['content-type'] ?? '').toString().startsWith('application/json');
      return { status: res.statusCode, body: json ? JSON.parse(text) : text, headers: res.headers };
    },
  };
}

/**
 * Makes `orderId` wait for a person: its decrease takes effect, its answer is lost, and stock is
 * delivered meanwhile, so the level cannot tell. Needs a simulator started with
 * `{ decreaseAnswerDelayMs: 2500, honourIdempotencyKey: false }` and `HTTP_TIMEOUT_MS=150`; answers
 * come at once again afterwards. Returns the order's quantity and the oak level it left.
 */
export async function makeWaitForPerson(
  h: SimHarness,
  p: RunningPipeline,
  orderId: number,
  delivered = 40,
): Promise<{ quantity: number; level: number }> {
  const order = h.store.orders.get(orderId);
  if (order === undefined) throw new Error(`no order ${orderId}`);
  order.wood_type = 'oak';
  const sent = h.store.decreaseLog.length;
  await enqueueOrders(p.queues, [orderId]);
  await waitFor('the decrease to take effect', () => h.store.decreaseLog.length > sent);
  h.store.addStock('oak', delivered);
  await waitFor(`order ${orderId} to wait for a person`, async () => {
    const job = await p.queues.orders.getJob(orderJobId(orderId));
    return job?.finishedOn !== undefined && (await p.ledger.order(orderId))?.state === 'person';
  });
  h.options.decreaseAnswerDelayMs = 0;
  return { quantity: order.quantity, level: h.store.stock.get('oak') ?? 0 };
}

/**
 * A pipeline whose order 1 (of 2, every wood type at 100) waits for a person: its decrease is answered
 * after the 150 ms timeout and its level cannot tell. With a board on it.
 */
export async function boardWithOrderWaiting() {
  const stock = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };
  const h = await startSim(
    { orders: 2, stock },
    { errorRate: 0, decreaseAnswerDelayMs: 2500, honourIdempotencyKey: false },
  );
  onTestFinished(() => h.sim.close());
  const p = await startPipeline(testConfig(h.sim, { HTTP_TIMEOUT_MS: '150' }));
  onTestFinished(() => p.close());
  const facts = await makeWaitForPerson(h, p, 1);
  return { h, p, facts, board: await startTestBoard(p) };
}

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, never a downloaded one; without it the browser tests fail and say so. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the Bull Board tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * One headless Chromium for the tests of the enclosing `describe` (or file): launched before them,
 * closed after. Returns the browser to call it from a test.
 */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());
  return () => {
    if (browser === undefined) throw new Error('Chromium is used before its beforeAll launched it');
    return browser;
  };
}
