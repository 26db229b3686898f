/**
 * The README's pictures of the board, made against a real stack: `node docs/screenshots.ts` (Node
 * 24, redis-server on the PATH, Debian's Chromium at /usr/bin/chromium). Writes
 * docs/board-cycles.png (the first page of completed cycles) and docs/board-order.png (an order
 * waiting for a person), and prints every request the pages made that left their origin (none).
 *
 * The scenario: 300 orders, birch short; one order's decrease answer is lost while oak is
 * delivered, so only a person can tell whether it was taken; then cycles of 1 s run for a while.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startRedisServer } from '../cli/redis-server.ts';
import { startBoard } from '../src/board/server.ts';
import { createUpstream } from '../src/clients/upstream.ts';
import { loadConfig } from '../src/config/load.ts';
import { createLogger } from '../src/logger.ts';
import { enqueueOrders } from '../src/queue/enqueue.ts';
import { CYCLE_SCHEDULER_ID } from '../src/queue/jobs.ts';
import { createQueues } from '../src/queue/queues.ts';
import { replayRetries } from '../src/queue/replay.ts';
import { upsertCycleScheduler } from '../src/queue/scheduler.ts';
import { createRandom } from '../src/random.ts';
import { type SimulatorOptions, startSimulator } from '../src/sim/server.ts';
import { SimStore, seedStore } from '../src/sim/store.ts';
import { createLedger } from '../src/stock/ledger.ts';
import { startWorkers } from '../workers/index.ts';

const DOCS = fileURLToPath(new URL('./', import.meta.url));
const WAITING_ORDER = 7;
const CYCLES = 12;

/** Polls until `check` holds, for at most a minute: this script has no test runner's waitFor. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

const redis = await startRedisServer();
const store = new SimStore();
seedStore(store, {
  orders: 300,
  stock: { oak: 10_000, maple: 10_000, pine: 10_000, elm: 10_000, birch: 60 },
  random: createRandom(42),
});
const simOptions: SimulatorOptions = { store, random: createRandom(43), errorRate: 0, honourIdempotencyKey: false };
const sim = await startSimulator(simOptions);
const env = {
  REDIS_URL: redis.url,
  API_URL_ORDERS: sim.orderUrl,
  API_URL_STOCKS: sim.stockUrl,
  INTERVAL_SECONDS: '1',
  ERROR_RATE: '0',
  CYCLE_ERROR_RATE: '0',
  RANDOM_SEED: '44',
  LOG_LEVEL: 'error',
};
const config = loadConfig(env);
const logger = createLogger('error');
const queues = createQueues(config, 'blocking', logger);
const upstream = createUpstream(config);
const ledger = createLedger(queues.redis, config);

// The lost answer, with workers that give up on an answer after 150 ms: the decrease takes effect,
// its answer comes too late, and oak is delivered meanwhile.
const impatient = await startWorkers(loadConfig({ ...env, HTTP_TIMEOUT_MS: '150' }), logger);
const waiting = store.orders.get(WAITING_ORDER);
if (waiting === undefined) throw new Error(`no order ${WAITING_ORDER}`);
waiting.wood_type = 'oak';
simOptions.decreaseAnswerDelayMs = 2500;
await enqueueOrders(queues, [WAITING_ORDER]);
await until('the decrease to take effect', () => store.decreaseLog.length === 1);
store.addStock('oak', 40);
await until('the order to wait for a person', async () => (await ledger.order(WAITING_ORDER))?.state === 'person');
simOptions.decreaseAnswerDelayMs = 0;
await impatient.close();

const workers = await startWorkers(config, logger);
await upsertCycleScheduler(queues.cycles, config);
await until('every other order to be processed', () => store.countByStatus().registered === 1);
await until(
  `${CYCLES} cycles`,
  async () => ((await queues.cycles.getJobScheduler(CYCLE_SCHEDULER_ID))?.iterationCount ?? 0) >= CYCLES,
);

const board = await startBoard({
  queues,
  ledger,
  orderApi: upstream.orderApi,
  logger,
  host: '127.0.0.1',
  port: 0,
  basePath: '/',
  readOnly: false,
  credentials: { user: '', password: '' },
  readinessChecks: {},
  retries: replayRetries(config),
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const elsewhere: string[] = [];
page.on('request', (req) => {
  if (new URL(req.url()).origin !== board.url) elsewhere.push(req.url());
});
await page.goto(`${board.url}/queue/cycles?status=completed`);
await page.getByText(/^cycle · 299 orders/).waitFor();
await page.screenshot({ path: `${DOCS}board-cycles.png` });
await page.goto(`${board.url}/orders/${WAITING_ORDER}`);
await page.screenshot({ path: `${DOCS}board-order.png`, fullPage: true });
process.stdout.write(
  `wrote ${DOCS}board-cycles.png and ${DOCS}board-order.png; requests outside ${board.url}: ${elsewhere.length === 0 ? 'none' : elsewhere.join(', ')}\n`,
);

await browser.close();
await board.close();
await workers.close();
await Promise.all([queues.close(), upstream.close(), sim.close()]);
await redis.destroy();
