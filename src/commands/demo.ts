import { startWorkers } from '../../workers/index.ts';
import { loadConfig } from '../config.ts';
import { WOOD_TYPES, type WoodType } from '../domain/order.ts';
import { createLogger } from '../logger.ts';
import { createQueues } from '../queues.ts';
import { createRandom } from '../random.ts';
import { hasRedisServer, type RedisServer, startRedisServer } from '../redis-server.ts';
import { upsertCycleScheduler } from '../scheduler.ts';
import { exitOnSignals } from '../shutdown.ts';
import { startSimulator } from '../sim/server.ts';
import { SimStore, seedStore } from '../sim/store.ts';
import type { CommandResult } from './context.ts';

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
 * the scheduler and the workers, all in one process; shows progress until no order is left registered.
 */
export async function demoCommand(): Promise<CommandResult> {
  const base = loadConfig();
  let redis: RedisServer | undefined;
  if (process.env.REDIS_URL === undefined) {
    if (!hasRedisServer()) {
      process.stderr.write(`${NO_REDIS}\n`);
      return 1;
    }
    redis = await startRedisServer();
  }
  const random = createRandom(base.randomSeed);
  const store = new SimStore();
  seedStore(store, { orders: base.demoOrders, stock: {}, random });
  for (const [type, quantity] of Object.entries(demoStock(store))) store.addStock(type, quantity);
  const sim = await startSimulator({ store, random, errorRate: base.simErrorRate, latencyMs: base.simLatencyMs });
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    API_URL_ORDERS: sim.orderUrl,
    API_URL_STOCKS: sim.stockUrl,
    ...(redis ? { REDIS_URL: redis.url } : {}),
  });
  const logger = createLogger(config.logLevel, { role: 'demo' });
  const queues = createQueues(config, 'blocking', logger);
  await upsertCycleScheduler(queues.cycles, config);
  const workers = await startWorkers(config, logger);
  const out = process.stdout;
  out.write(
    `ordermanagement demo: ${base.demoOrders} orders, Redis ${redis ? `private at ${redis.url}` : config.redisUrl}\n` +
      `Order API ${sim.orderUrl}, Stock API ${sim.stockUrl}, a cycle every ${config.intervalSeconds}s, ` +
      `ERROR_RATE ${config.errorRate}, simulator error rate ${base.simErrorRate}\n`,
  );

  const started = Date.now();
  const progress = setInterval(() => {
    void (async () => {
      const counts = store.countByStatus();
      const failed = await queues.orders.getFailedCount();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const line = `${seconds}s  registered ${counts.registered}  shipped ${counts.shipped}  blocked ${counts.blocked}  closed ${counts.closed}  failed jobs ${failed}`;
      out.write(out.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
      if (counts.registered > failed) return;
      clearInterval(progress);
      out.write(
        `\nDone in ${seconds}s: ${counts.shipped} shipped, ${counts.blocked} blocked, ${counts.closed} closed` +
          (failed > 0 ? `, ${failed} failed for good (replay them with: ordermanagement replay <id>)` : '') +
          `.\nStock left: ${[...store.stock].map(([t, q]) => `${t} ${q}`).join(', ')}; elm has no stock row.\n` +
          'Still running (new cycles every interval). Press Ctrl-C to stop.\n',
      );
    })().catch((err: unknown) => logger.error('progress check failed', { err }));
  }, 500);

  exitOnSignals(
    async () => {
      clearInterval(progress);
      await workers.close();
      await queues.close();
      await sim.close();
      await redis?.destroy();
    },
    logger,
    config.shutdownTimeoutMs,
  );
  return 'running';
}
