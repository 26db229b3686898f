import { createUpstream } from '../../src/clients/upstream.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { WOOD_TYPES, type WoodType } from '../../src/domain/order.ts';
import { StartupError } from '../../src/errors.ts';
import type { ReadinessCheck } from '../../src/health.ts';
import type { Listening } from '../../src/listen.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { createRandom } from '../../src/random.ts';
import { redactUrl } from '../../src/redact.ts';
import { referenceCapacity } from '../../src/sim/capacity.ts';
import { startSimulator } from '../../src/sim/server.ts';
import { SimStore, seedStore } from '../../src/sim/store.ts';
import { serveMetrics } from '../../src/telemetry/sdk.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { hasRedisServer, type RedisServer, startRedisServer } from '../redis-server.ts';
import { exitOnSignals } from '../shutdown.ts';
import { loadBoard } from './board.ts';
import type { Command } from './command.ts';

const NO_REDIS = `The demo needs Redis. Either install redis-server (Debian/Ubuntu: apt-get install redis-server;
macOS: brew install redis) and run the demo again, or point it at a running Redis:
  REDIS_URL=redis://127.0.0.1:6379 npm run demo`;

/** Stock for the demo: plenty of most types, half the demand of birch, no elm at all. */
function demoStock(store: SimStore): Partial<Record<WoodType, number>> {
  const demand = Object.fromEntries(WOOD_TYPES.map((t) => [t, 0])) as Record<WoodType, number>;
  for (const order of store.orders.values()) demand[order.wood_type as WoodType] += order.quantity;
  return { oak: demand.oak, maple: demand.maple, pine: demand.pine, birch: Math.floor(demand.birch / 2) };
}

/**
 * `ordermanagement demo`: a private Redis (unless REDIS_URL is set), the simulator with seeded orders,
 * the scheduler, the workers and the board, all in one process; shows progress until no order is
 * left registered.
 */
export const demoCommand: Command = {
  summary: 'simulator + private Redis + all roles and the board in one process, with progress',
  usage: '',
  description: [
    'Starts a private redis-server (unless REDIS_URL is set), the simulator seeded with DEMO_ORDERS orders (one wood',
    'type without stock, one short of it), the schedule, the workers and the board (BOARD_PORT, on loopback without a',
    "password; a free port when the default one is taken), and prints progress and the board's address until every",
    'order is shipped, blocked or closed. Runs on until Ctrl-C; stops cleanly when its output is closed (| head).',
  ].join('\n'),
  options: {},
  args: 'none',
  settings: ['demo', 'sim', 'redis', 'jobs', 'stock', 'board', 'telemetry'],
  async run() {
    const base = loadConfig();
    let redis: RedisServer | undefined;
    if (process.env.REDIS_URL === undefined) {
      if (!hasRedisServer()) {
        process.stderr.write(`${NO_REDIS}\n`);
        return 1;
      }
      redis = await startRedisServer({ appendOnly: true });
    }
    const stops: (() => Promise<unknown>)[] = [async () => redis?.destroy()];
    const stopAll = async () => {
      for (const stop of stops.splice(0).reverse()) await stop();
    };
    try {
      await runDemo(base, redis, stops);
    } catch (error) {
      await stopAll();
      throw error;
    }
    const logger = createLogger(base.logLevel, { role: 'demo' });
    // Ctrl-C, or `npm run demo | head` once nobody reads the output: stop, private Redis included.
    exitOnSignals(stopAll, logger, base.shutdownTimeoutMs);
    return 'running';
  },
};

async function runDemo(base: Config, redis: RedisServer | undefined, stops: (() => Promise<unknown>)[]): Promise<void> {
  const random = createRandom(base.randomSeed);
  const store = new SimStore();
  seedStore(store, { orders: base.demoOrders, stock: {}, random });
  for (const [type, quantity] of Object.entries(demoStock(store))) store.addStock(type, quantity);
  const sim = await startSimulator({
    store,
    random,
    errorRate: base.simErrorRate,
    latencyMs: base.simLatencyMs,
    // As fast as the reference services, no faster: what a user sees against them (SIM_CAPACITY=none lifts it).
    ...(base.simCapacity === 'reference' ? { capacity: referenceCapacity() } : {}),
  });
  stops.push(() => sim.close());
  const config = loadConfig({
    ...process.env,
    // Retries made real, as the reference worker's simulated failures did; production defaults to 0.
    ERROR_RATE: process.env.ERROR_RATE ?? '0.1',
    CYCLE_ERROR_RATE: process.env.CYCLE_ERROR_RATE ?? '0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    API_URL_ORDERS: sim.orderUrl,
    API_URL_STOCKS: sim.stockUrl,
    ...(redis ? { REDIS_URL: redis.url } : {}),
  });
  const logger = createLogger(config.logLevel, { role: 'demo' });
  const queues = createQueues(config, 'blocking', logger);
  stops.push(() => queues.close());
  // The board first: a port it cannot have stops the demo before any order is touched.
  let workers: Workers | undefined;
  const board = await startDemoBoard(config, queues, logger, stops, {
    redis: async () => (await queues.redis.ping()) === 'PONG',
    workers: async () => (await workers?.readinessChecks.workers?.()) ?? false,
  });
  await upsertCycleScheduler(queues.cycles, config);
  for (const endpoint of await serveMetrics()) stops.push(() => endpoint.close());
  const running = await startWorkers(config, logger);
  workers = running;
  stops.push(() => running.close());
  const out = process.stdout;
  out.write(
    `ordermanagement demo: ${base.demoOrders} orders, Redis ${redis ? `private at ${redis.url}` : redactUrl(config.redisUrl)}\n` +
      `Order API ${sim.orderUrl}, Stock API ${sim.stockUrl}, a cycle every ${config.intervalSeconds}s, ` +
      `ERROR_RATE ${config.errorRate}, simulator error rate ${base.simErrorRate}\n` +
      `Bull Board ${board.url}${config.boardUser === '' ? ' (no password: loopback only)' : ` (user ${config.boardUser})`}, ` +
      `orders waiting for a person ${board.url}/orders\n`,
  );

  const started = Date.now();
  const progress = setInterval(() => {
    void (async () => {
      const counts = store.countByStatus();
      const failed = await queues.orders.getFailedCount();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const line = `${seconds}s  registered ${counts.registered}  shipped ${counts.shipped}  blocked ${counts.blocked}  closed ${counts.closed}  failed jobs ${failed}  board ${board.url}`;
      out.write(out.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
      if (counts.registered > failed) return;
      clearInterval(progress);
      out.write(
        `\nDone in ${seconds}s: ${counts.shipped} shipped, ${counts.blocked} blocked, ${counts.closed} closed` +
          (failed > 0 ? `, ${failed} waiting for a person (answer them at ${board.url}/orders)` : '') +
          `.\nStock left: ${[...store.stock].map(([t, q]) => `${t} ${q}`).join(', ')}; elm has no stock row.\n` +
          `Still running (new cycles every interval; Bull Board ${board.url}). Press Ctrl-C to stop.\n`,
      );
    })().catch((err: unknown) => logger.error('progress check failed', { err }));
  }, 500);
  stops.push(async () => clearInterval(progress));
}

/**
 * The board over the demo's queues and simulator, so replays reach the simulator's Order API. On
 * BOARD_PORT; when that is only the default and something else holds it (another board, another
 * demo), on a free port, as development servers do.
 */
async function startDemoBoard(
  config: Config,
  queues: ReturnType<typeof createQueues>,
  logger: Logger,
  stops: (() => Promise<unknown>)[],
  readinessChecks: Record<string, ReadinessCheck>,
): Promise<Listening> {
  const upstream = createUpstream(config);
  stops.push(() => upstream.close());
  const { boardOptions, startBoard } = await loadBoard();
  const options = await boardOptions(config, { queues, orderApi: upstream.orderApi, logger, readinessChecks });
  const board = await startBoard(options).catch((error: unknown) => {
    const taken =
      error instanceof StartupError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
    if (!taken || process.env.BOARD_PORT !== undefined) throw error;
    return startBoard({ ...options, port: 0 });
  });
  stops.push(() => board.close());
  return board;
}
