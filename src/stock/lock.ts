import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../redis/connection.ts';
import { createScript } from '../redis/script.ts';

/** Deletes the lock only if this holder still owns it: a lease that ran out may belong to another by now. */
const RELEASE = createScript(
  `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`,
);

/**
 * Renews the lease if this holder still owns the lock, or takes it back if its lease ran out and
 * nobody took it meanwhile: then nobody can have sent a decrease of the wood type in between.
 */
const EXTEND = createScript(`
local owner = redis.call('get', KEYS[1])
if owner == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if owner == false then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
return 0
`);

/** One holding of a wood type's lock: the key and token fence every ledger write made under it. */
export interface LockHold {
  readonly key: string;
  readonly token: string;
  readonly leaseMs: number;
}

export interface StockLock {
  /** Takes the lock of `woodType` if it is free, across every replica sharing the Redis. */
  tryAcquire(woodType: string): Promise<LockHold | undefined>;
  /** Renews the lease (or takes back a lapsed one nobody took); false when another holds the lock now. */
  extend(hold: LockHold): Promise<boolean>;
  release(hold: LockHold): Promise<void>;
}

/**
 * Serializes stock decreases per wood type. The reference Stock API reads and writes back without a
 * lock, so two concurrent decreases of one wood type lose one update; one decrease per wood type at
 * a time across all replicas keeps it exact. A lease bounds how long a crashed holder blocks others;
 * it must outlast one request (the configuration checks it), and it is renewed before each.
 */
export function createStockLock(redis: RedisConnection, options: { prefix: string; leaseMs: number }): StockLock {
  return {
    async tryAcquire(woodType) {
      const hold = { key: `${options.prefix}:stock-lock:${woodType}`, token: randomUUID(), leaseMs: options.leaseMs };
      return (await redis.set(hold.key, hold.token, 'PX', hold.leaseMs, 'NX')) === 'OK' ? hold : undefined;
    },
    async extend(hold) {
      return (await EXTEND.run(redis, [hold.key], [hold.token, hold.leaseMs])) === 1;
    },
    async release(hold) {
      await RELEASE.run(redis, [hold.key], [hold.token]);
    },
  };
}
