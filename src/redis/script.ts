import { createHash } from 'node:crypto';
import type { RedisConnection } from './connection.ts';

export interface RedisScript {
  /** Runs the script by its SHA, loading it on the first NOSCRIPT (after a Redis restart or failover). */
  run(redis: RedisConnection, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** A Lua script sent whole once per server rather than with every call. */
export function createScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
