import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { configEnv } from '../../src/config/describe.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { WOOD_TYPES, type WoodType } from '../../src/domain/order.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createQueues, type Queues } from '../../src/queue/queues.ts';
import { createRandom, type Random } from '../../src/random.ts';
import type { RedisConnection } from '../../src/redis/connection.ts';
import { type SimFaults, type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/server.ts';
import { SimStore, seedStore } from '../../src/sim/store.ts';
import type { StockKeys } from '../../src/stock/keys.ts';
import { createLedger, type Ledger } from '../../src/stock/ledger.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';

export interface SimHarness {
  readonly store: SimStore;
  readonly sim: Simulator;
  /** Mutable: change a fault while the simulator runs. */
  readonly options: SimulatorOptions;
  readonly initialStock: ReadonlyMap<string, number>;
}

/** A simulator on free loopback ports, seeded deterministically. */
export async function startSim(
  seed: { orders: number; stock: Partial<Record<WoodType, number>>; seed?: number },
  faults: SimFaults = { errorRate: 0 },
): Promise<SimHarness> {
  const random: Random = createRandom(seed.seed ?? 42);
  const store = new SimStore();
  seedStore(store, { orders: seed.orders, stock: seed.stock, random });
  const options: SimulatorOptions = { store, random, ...faults };
  const sim = await startSimulator(options);
  return { store, sim, options, initialStock: new Map(store.stock) };
}

/** Configuration for a test: its own queue prefix on the suite's Redis, the simulator's URLs, fast retries. */
export function testConfig(sim: Simulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: inject('redisUrl'),
    API_URL_ORDERS: sim.orderUrl,
    API_URL_STOCKS: sim.stockUrl,
    QUEUE_PREFIX: `{test-${randomUUID().slice(0, 8)}}`,
    ERROR_RATE: '0',
    CYCLE_ERROR_RATE: '0',
    RETRY_BACKOFF_MS: '5',
    INTERVAL_SECONDS: '0.5',
    // A decrease in doubt is judged after a second, not the 30 s a real Stock API behind a proxy may need.
    STOCK_LATE_DECREASE_MS: '1000',
    RANDOM_SEED: '7',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
}

/** Environment for a child process that should join the same queues and simulator as `config`. */
export function childEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...configEnv(config), ...extra };
}

export interface RunningPipeline {
  readonly config: Config;
  readonly queues: Queues;
  readonly ledger: Ledger;
  readonly workers: Workers;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Workers (in this process) plus queues to inspect them; the caller registers the schedule or adds cycles. */
export async function startPipeline(
  config: Config,
  logger: Logger = createLogger(config.logLevel, { test: true }),
): Promise<RunningPipeline> {
  const queues = createQueues(config, 'blocking', logger);
  const workers = await startWorkers(config, logger);
  const ledger = ledgerOf(queues.redis, config);
  return {
    config,
    queues,
    ledger,
    workers,
    logger,
    async close() {
      await workers.close();
      await queues.cycles.obliterate({ force: true });
      await queues.orders.obliterate({ force: true });
      await forgetLedger(queues.redis, ledger.keys);
      await queues.close();
    },
  };
}

export interface Invariants {
  readonly registered: number;
  /** Per wood type: stock taken minus the quantities of shipped orders. 0 everywhere means exact. */
  readonly excess: Record<string, number>;
  /** Idempotency keys whose decrease succeeded more than once. */
  readonly doubleDecreases: string[];
}

/** The promises of ordermanagement, read off the simulator's state; `added`: stock delivered from outside meanwhile. */
export function invariants(h: SimHarness, added: Partial<Record<WoodType, number>> = {}): Invariants {
  const shipped = new Map<string, number>();
  for (const order of h.store.orders.values()) {
    if (order.order_status === 'shipped') {
      shipped.set(order.wood_type, (shipped.get(order.wood_type) ?? 0) + order.quantity);
    }
  }
  const excess: Record<string, number> = {};
  for (const type of WOOD_TYPES) {
    const taken = (h.initialStock.get(type) ?? 0) + (added[type] ?? 0) - (h.store.stock.get(type) ?? 0);
    excess[type] = taken - (shipped.get(type) ?? 0);
  }
  const doubleDecreases = [...h.store.decreasesByKey].filter(([, n]) => n > 1).map(([key]) => key);
  return { registered: h.store.countByStatus().registered, excess, doubleDecreases };
}

export const EXACT = { oak: 0, maple: 0, birch: 0, elm: 0, pine: 0 };

/** The ledger the workers of `config` keep, read through `redis`. */
export const ledgerOf = (redis: RedisConnection, config: Config): Ledger => createLedger(redis, config);

/**
 * Deletes a ledger's keys: they are keyed by the Stock API (keys.ts), and a later test's simulator
 * may be given the same port.
 */
export async function forgetLedger(redis: RedisConnection, keys: StockKeys): Promise<void> {
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${keys.prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await node.del(...found);
    } while (cursor !== '0');
  }
}

export interface Attribution {
  /** Per order, the decreases that took effect for it. */
  readonly perOrder: ReadonlyMap<number, number>;
  /** Orders that more than one decrease took stock for. */
  readonly decreasedTwice: number[];
  /** Decreases that took effect that no ledger entry accounts for. */
  readonly unattributed: string[];
}

/**
 * Every decrease the simulator saw take effect (from the `from`th on), attributed to orders through
 * the ledger: its Idempotency-Key is the id of the ledger entry that lists its orders.
 */
export async function attribute(h: SimHarness, ledger: Ledger, from = 0): Promise<Attribution> {
  const perOrder = new Map<number, number>();
  const unattributed: string[] = [];
  for (const { key, quantity } of h.store.decreaseLog.slice(from)) {
    const entry = await ledger.entry(key);
    if (entry === undefined || entry.quantity !== quantity) {
      unattributed.push(key);
      continue;
    }
    for (const id of entry.orders) perOrder.set(id, (perOrder.get(id) ?? 0) + 1);
  }
  const decreasedTwice = [...perOrder].filter(([, n]) => n > 1).map(([id]) => id);
  return { perOrder, decreasedTwice, unattributed };
}
