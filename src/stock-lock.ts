import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from './errors.ts';
import type { Random } from './random.ts';
import type { RedisConnection } from './redis.ts';

/** Deletes the lock only if this holder still owns it: a lease that ran out may belong to another by now. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface StockLockOptions {
  /** Key prefix; the queue prefix, so a Cluster hash tag keeps the lock in the queues' slot. */
  readonly prefix: string;
  /** How long a holder keeps the lock if it never releases it (crashed mid-call). */
  readonly leaseMs: number;
  /** How long to wait for the lock before failing the attempt (transient: it is retried). */
  readonly waitMs: number;
  readonly random: Random;
}

export interface StockLock {
  /** Runs `fn` while holding the lock of `woodType`, across every replica sharing the Redis. */
  run<T>(woodType: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Serializes stock decreases per wood type. The reference Stock API reads and writes back without a
 * lock, so two concurrent decreases of one wood type lose one update; one decrease per wood type at
 * a time across all replicas keeps it exact. A lease bounds how long a crashed holder blocks others.
 *
 * Within a process, callers queue for their wood type first, so only the head of each queue asks
 * Redis: a worker with hundreds of jobs in flight would otherwise poll Redis with every one of them.
 */
export function createStockLock(redis: RedisConnection, options: StockLockOptions): StockLock {
  /** The last caller in this process's queue of each wood type: it resolves when that caller is done. */
  const queues = new Map<string, Promise<void>>();
  return {
    async run(woodType, fn) {
      const deadline = Date.now() + options.waitMs;
      const ahead = queues.get(woodType);
      let done = () => {};
      const mine = new Promise<void>((resolve) => {
        done = resolve;
      });
      queues.set(woodType, mine);
      try {
        await ahead;
        return await holdingLock(redis, options, woodType, deadline, fn);
      } finally {
        done();
        if (queues.get(woodType) === mine) queues.delete(woodType);
      }
    },
  };
}

async function holdingLock<T>(
  redis: RedisConnection,
  options: StockLockOptions,
  woodType: string,
  deadline: number,
  fn: () => Promise<T>,
): Promise<T> {
  const key = `${options.prefix}:stock-lock:${woodType}`;
  const token = randomUUID();
  let pause = 2;
  for (;;) {
    if (Date.now() > deadline) {
      throw new UpstreamError('transient', `waited ${options.waitMs} ms for the ${woodType} stock lock`);
    }
    if ((await redis.set(key, token, 'PX', options.leaseMs, 'NX')) === 'OK') break;
    // Jittered, growing pauses: the replicas' heads do not poll Redis in lockstep.
    await sleep(pause / 2 + options.random() * pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
