import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { createUpstream } from '../src/clients/upstream.ts';
import type { Config } from '../src/config/schema.ts';
import { backoffDelay } from '../src/domain/backoff.ts';
import { UpstreamHealth } from '../src/domain/upstream-health.ts';
import { UpstreamError } from '../src/errors.ts';
import type { ReadinessCheck } from '../src/health.ts';
import type { Logger } from '../src/logger.ts';
import { noteDeployment } from '../src/queue/deployments.ts';
import { CYCLE_QUEUE, CYCLE_SCHEDULER_ID, ORDER_QUEUE } from '../src/queue/jobs.ts';
import { lastListed } from '../src/queue/listing.ts';
import { createQueues, type Queues } from '../src/queue/queues.ts';
import { upsertCycleScheduler } from '../src/queue/scheduler.ts';
import { createRandom } from '../src/random.ts';
import { workerConnection } from '../src/redis/connection.ts';
import { checkDurability } from '../src/redis/durability.ts';
import { LedgerEpoch } from '../src/stock/epoch.ts';
import { createLedger } from '../src/stock/ledger.ts';
import { createStockLock } from '../src/stock/lock.ts';
import { createStockTaker } from '../src/stock/taker.ts';
import { observeQueueDepth } from '../src/telemetry/metrics.ts';
import { throttle } from '../src/throttle.ts';
import { createCycleProcessor } from './cycle.ts';
import { createProcessOrderProcessor } from './process-order.ts';

/**
 * The least time between two decreases of one wood type per process, while status updates queue for
 * the Order API (then the orders wait anyway; a batch leaves once less than a round waits there). Every
 * decrease costs the Stock API the same whatever its quantity, a level read and a decrease: spaced
 * so, a wood type costs it two requests a second however many orders come. Against the reference
 * services on two cores, 1 s instead of 200 ms took three quarters of the Stock API's CPU away from
 * the Order API's.
 */
const STOCK_BATCH_SPACING_MS = 1000;

/** Longest wait on shutdown for a reconnecting Redis, past ioredis' 2 s reconnect backoff. */
const RECONNECT_GRACE_MS = 5000;

export interface Workers {
  readonly cycle: Worker;
  readonly processOrder: Worker;
  /** Ready means Redis answers and both workers are running. */
  readonly readinessChecks: Record<string, ReadinessCheck>;
  /** Waits for active jobs to finish, then releases every connection. */
  close(): Promise<void>;
}

/** What waiting for a connection needs: ioredis' status and its `ready` event (BullMQ's clients and ours have both). */
interface Connection {
  readonly status: string;
  once(event: 'ready', listener: () => void): unknown;
}

async function connectionsOf(queues: Queues, workers: readonly Worker[]): Promise<Connection[]> {
  const clients = await Promise.all(
    workers.flatMap((worker) => [worker.backend.client, worker.backend.blockingClient]),
  );
  return [queues.redis, ...clients.filter((client) => client !== undefined)];
}

/** Resolves once no connection is waiting to reconnect or reconnecting. */
function whenReady(connections: readonly Connection[]): Promise<unknown> {
  return Promise.all(
    connections
      .filter((connection) => connection.status === 'reconnecting' || connection.status === 'connecting')
      .map((connection) => new Promise<void>((resolve) => connection.once('ready', resolve))),
  );
}

/**
 * How old a listing of an order may be and still be trusted (ORDER_REREAD_AFTER_MS). Every cycle lists
 * every registered order, so by default two intervals: a backlog order is always listed within that.
 */
export const orderRereadAfterMs = (config: Pick<Config, 'orderRereadAfterMs' | 'intervalSeconds'>): number =>
  config.orderRereadAfterMs ?? 2 * config.intervalSeconds * 1000;

/** One process runs both workers; any number of such processes may run side by side. */
export async function startWorkers(config: Config, logger: Logger): Promise<Workers> {
  const random = createRandom(config.randomSeed);
  const upstream = createUpstream(config, { random, logger });
  const queues = createQueues(config, 'blocking', logger);
  // Recorded on each job as processedBy, and on each decrease it sends: which replica did it.
  const name = `${hostname()}:${process.pid}`;
  const ledger = createLedger(queues.redis, config);
  const epoch = new LedgerEpoch(queues.redis, ledger.keys, { logger, worker: name });
  try {
    await checkDurability(queues.redis, config);
    await epoch.join();
    await noteDeployment(queues.redis, config, name, logger, { warn: true });
  } catch (error) {
    epoch.close();
    await Promise.all([queues.close(), upstream.close()]);
    throw error;
  }
  const health =
    config.backpressureRatio > 0
      ? new UpstreamHealth({
          windowSeconds: 30,
          minFailures: 20,
          failureRatio: config.backpressureRatio,
          probeSize: config.backpressureProbe,
        })
      : undefined;
  const connection = workerConnection(config);
  const workerOptions = {
    connection: connection.connection,
    prefix: config.queuePrefix,
    name,
    lockDuration: config.jobLockMs,
    // Checking for stalled jobs as often as a lock lasts bounds recovery after a crash to two lock periods.
    stalledInterval: config.jobLockMs,
    maxStalledCount: config.jobMaxStalls,
    settings: {
      // A 429 or 503 that said when to come back is believed, up to the longest backoff.
      backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
        err instanceof UpstreamError && err.retryAfterMs !== undefined
          ? Math.min(err.retryAfterMs, config.backoffMaxMs)
          : backoffDelay(attemptsMade, config.backoffMs, config.backoffMaxMs, random),
    },
  };

  const rereadAfterMs = orderRereadAfterMs(config);
  // At most one cycle runs at a time across all replicas: the global limit lives in Redis.
  await queues.cycles.setGlobalConcurrency(1);
  const cycle = new Worker(
    CYCLE_QUEUE,
    createCycleProcessor({
      orderApi: upstream.orderApi,
      queues,
      pageSize: config.pageSize,
      maxOrders: config.maxOrdersPerCycle,
      errorRate: config.cycleErrorRate,
      random,
      logger,
      listingKeepMs: rereadAfterMs,
      ...(health ? { health } : {}),
    }),
    { ...workerOptions, concurrency: 1 },
  );
  const stock = createStockTaker({
    stockApi: upstream.stockApi,
    ledger,
    epoch,
    lock: config.serializeDecreases
      ? createStockLock(queues.redis, { keys: ledger.keys, leaseMs: config.stockLockLeaseMs })
      : undefined,
    waitMs: config.stockLockWaitMs,
    requestTimeoutMs: config.httpTimeoutMs,
    lateDecreaseMs: config.stockLateDecreaseMs,
    keysHonoured: config.stockIdempotencyKeys === 'honoured',
    maxBatch: config.stockBatchMax,
    batchSpacingMs: STOCK_BATCH_SPACING_MS,
    holdBatches: upstream.ordersBusy,
    name,
    random,
    logger,
  });
  const processOrder = new Worker(
    ORDER_QUEUE,
    createProcessOrderProcessor({
      orderApi: upstream.orderApi,
      stock,
      ledger,
      errorRate: config.errorRate,
      random,
      logger,
      traceOrders: config.traceOrders,
      orderRereadAfterMs: rereadAfterMs,
      lastListed: (orderId) => lastListed(queues, orderId),
      parkMs: config.backoffMaxMs,
      ...(health ? { health } : {}),
    }),
    { ...workerOptions, concurrency: config.concurrency },
  );
  const workerError = throttle<Error>(10_000, (queue, err, suppressed) =>
    logger.error('worker error', { queue, err, ...(suppressed ? { suppressed } : {}) }),
  );
  for (const worker of [cycle, processOrder]) {
    const log = logger.child({ queue: worker.name });
    worker.on('error', (err) => workerError(worker.name, err));
    worker.on('stalled', (jobId) => log.warn('job stalled; its worker vanished, another picks it up', { jobId }));
  }
  const stopObserving = observeQueueDepth([queues.cycles, queues.orders]);
  const stopWatching = watchSchedule(queues, config, logger);
  const stopWatchingLedger = watchLedger(
    epoch,
    () => noteDeployment(queues.redis, config, name, logger, { warn: false }),
    logger,
  );
  warnWithoutPersistence(queues, logger);
  logger.info('workers started', {
    concurrency: config.concurrency,
    redis: config.redisClusterNodes || config.redisSentinels || config.redisUrl,
  });
  return {
    cycle,
    processOrder,
    readinessChecks: {
      redis: async () => (await queues.redis.ping()) === 'PONG',
      workers: async () => cycle.isRunning() && processOrder.isRunning(),
      // Not ready while Redis has lost the decrease ledger: no stock is taken until a person accepts it.
      ledger: async () => !epoch.lost,
    },
    async close() {
      stopObserving();
      stopWatching();
      stopWatchingLedger();
      epoch.close();
      // Jobs still waiting for a stock lock are handed back now rather than waiting out STOCK_LOCK_WAIT_MS.
      stock.close();
      // An ioredis client disconnected while it waits to reconnect stays `reconnecting` without the
      // `end` event BullMQ's close awaits, so the close never returns (bullmq#4656, ioredis#2169).
      // After a Redis restart each connection reconnects on its own backoff: wait for all of them,
      // the workers' blocking ones included, not only for the first to be back.
      // A client that never connected has no connection to wait for: the grace bounds that too.
      await Promise.race([connectionsOf(queues, [cycle, processOrder]).then(whenReady), sleep(RECONNECT_GRACE_MS)]);
      await Promise.all([cycle.close(), processOrder.close()]);
      await Promise.all([queues.close(), upstream.close()]);
      connection.close();
    },
  };
}

/**
 * A Redis that restarted without persistence (or a FLUSHALL) loses the cycle schedule, and nothing
 * would run again. Every worker watches for it: once it has seen the schedule, a schedule gone is an
 * error, put back from the worker's own configuration. One never seen is only pointed out: workers
 * may run without cycles on purpose (replays only), until a scheduler registers one.
 */
function watchSchedule(queues: Queues, config: Config, logger: Logger): () => void {
  const everyMs = Math.max(config.intervalSeconds, 1) * 2000;
  let seen = false;
  let told = false;
  const check = async () => {
    if (await queues.cycles.getJobScheduler(CYCLE_SCHEDULER_ID)) {
      seen = true;
      return;
    }
    if (!seen) {
      if (!told) logger.warn('no cycle schedule is registered yet: run `ordermanagement scheduler` (or `start`)');
      told = true;
      return;
    }
    logger.error('the cycle schedule is gone (Redis lost its data, or it was removed); re-creating it', {
      everySeconds: config.intervalSeconds,
    });
    await upsertCycleScheduler(queues.cycles, config);
  };
  const checked = () =>
    void check().catch((err: unknown) => logger.warn('could not check the cycle schedule', { err }));
  checked();
  const timer = setInterval(checked, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** How often a worker looks at the ledger's epoch without a decrease to send. */
const EPOCH_CHECK_MS = 2000;
/** How often a worker notes that its deployment still works on its Order API. */
const DEPLOYMENT_NOTE_MS = 60_000;

/**
 * Notices at once when Redis loses the decrease ledger (restarted without persistence, flushed), even
 * while no decrease is sent, and when a person accepts the loss; notes the deployment now and then.
 */
function watchLedger(epoch: LedgerEpoch, note: () => Promise<void>, logger: Logger): () => void {
  const failed = (what: string) => (err: unknown) => logger.warn(`could not ${what}`, { err });
  const checking = setInterval(() => void epoch.check().catch(failed('check the ledger epoch')), EPOCH_CHECK_MS);
  const noting = setInterval(() => void note().catch(failed('note the deployment')), DEPLOYMENT_NOTE_MS);
  checking.unref();
  noting.unref();
  return () => {
    clearInterval(checking);
    clearInterval(noting);
  };
}

/** The ledger lives in Redis: without persistence a restart forgets which decreases were taken. */
function warnWithoutPersistence(queues: Queues, logger: Logger): void {
  queues.redis
    .info('persistence')
    .then((info) => {
      // Snapshots alone lose the last minutes of writes: only the append-only file keeps every decision.
      if (/^aof_enabled:0/m.test(info)) {
        logger.warn(
          'Redis keeps no append-only file: after a restart it forgets the schedule and the decrease ledger (run it with --appendonly yes)',
        );
      }
    })
    .catch(() => {});
}
