import { randomUUID } from 'node:crypto';
import { runCommand } from '../redis/commands.ts';
import type { RedisConnection } from '../redis/connection.ts';
import type { StockKeys } from './keys.ts';

/** One holding of a wood type's lock: the key and token fence every ledger write made under it. */
export interface LockHold {
  readonly key: string;
  readonly token: string;
  readonly leaseMs: number;
}

export interface StockLock {
  /** Takes the lock of `woodType` if it is free, across every replica (and every deployment) sharing the Redis. */
  tryAcquire(woodType: string): Promise<LockHold | undefined>;
  /** Renews the lease (or takes back a lapsed one nobody took); false when another holds the lock now. */
  extend(hold: LockHold): Promise<boolean>;
  release(hold: LockHold): Promise<void>;
}

/**
 * Serializes stock decreases per wood type. The reference Stock API reads and writes back without a
 * lock, so two concurrent decreases of one wood type lose one update; one decrease per wood type at
 * a time across all replicas keeps it exact. A lease bounds how long a crashed holder blocks others;
 * it must outlast one request (the configuration checks it), and it is renewed before each. The
 * key is the Stock API's (keys.ts); renewing and taking back a lapsed lease is includes/lease.lua.
 */
export function createStockLock(redis: RedisConnection, options: { keys: StockKeys; leaseMs: number }): StockLock {
  return {
    async tryAcquire(woodType) {
      const hold = { key: options.keys.lock(woodType), token: randomUUID(), leaseMs: options.leaseMs };
      return (await redis.set(hold.key, hold.token, 'PX', hold.leaseMs, 'NX')) === 'OK' ? hold : undefined;
    },
    async extend(hold) {
      return (await runCommand(redis, 'extendLock', [hold.key], [hold.token, hold.leaseMs])) === 1;
    },
    async release(hold) {
      await runCommand(redis, 'releaseLock', [hold.key], [hold.token]);
    },
  };
}
