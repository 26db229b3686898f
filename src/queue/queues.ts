import { type DefaultJobOptions, Queue } from 'bullmq';
import type { Config } from '../config/schema.ts';
import { BACKOFF_TYPE } from '../domain/backoff.ts';
import type { Logger } from '../logger.ts';
import { createRedis, type RedisConnection } from '../redis/connection.ts';
import { throttle } from '../throttle.ts';
import {
  type CYCLE_JOB,
  CYCLE_QUEUE,
  type CycleData,
  type CycleResult,
  ORDER_QUEUE,
  type PROCESS_ORDER_JOB,
  type ProcessOrderData,
  type ProcessOrderResult,
} from './jobs.ts';

export type CycleQueue = Queue<CycleData, CycleResult, typeof CYCLE_JOB>;
export type OrderQueue = Queue<ProcessOrderData, ProcessOrderResult, typeof PROCESS_ORDER_JOB>;

export interface Queues {
  readonly cycles: CycleQueue;
  readonly orders: OrderQueue;
  /** The connection both queues share, for the few reads BullMQ has no method for. */
  readonly redis: RedisConnection;
  close(): Promise<void>;
}

/** Attempts, jittered exponential backoff and retention, the same for every job this project adds. */
export function defaultJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: config.attempts,
    backoff: { type: BACKOFF_TYPE, delay: config.backoffMs },
    removeOnComplete: { age: config.keepCompletedSeconds, count: config.keepCompletedCount },
    removeOnFail: { age: config.keepFailedSeconds },
  };
}

/** Both queues on one shared connection; the prefix (a hash tag by default) keeps a flow in one Cluster slot. */
export function createQueues(config: Config, mode: 'blocking' | 'fail-fast', logger: Logger): Queues {
  const redis = createRedis(config, mode);
  const report = throttle<Error>(10_000, (source, err, suppressed) =>
    logger.error('redis error', { source, err, ...(suppressed ? { suppressed } : {}) }),
  );
  redis.on('error', (err) => report('connection', err));
  const options = {
    connection: redis,
    prefix: config.queuePrefix,
    defaultJobOptions: defaultJobOptions(config),
  };
  const cycles: CycleQueue = new Queue(CYCLE_QUEUE, options);
  const orders: OrderQueue = new Queue(ORDER_QUEUE, options);
  // An 'error' event without a listener would crash the process on a Redis hiccup.
  for (const queue of [cycles, orders]) queue.on('error', (err) => report(`queue ${queue.name}`, err));
  return {
    cycles,
    orders,
    redis,
    async close() {
      await Promise.all([cycles.close(), orders.close()]);
      redis.disconnect();
    },
  };
}
