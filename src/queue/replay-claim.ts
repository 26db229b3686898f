import { randomUUID } from 'node:crypto';
import { runCommand } from '../redis/commands.ts';
import type { RedisConnection } from '../redis/connection.ts';

/**
 * Longer than any replay takes (a few Redis calls and one Order API read, bounded by
 * HTTP_TIMEOUT_MS): a process that dies holding a claim blocks that order's replays this long at most.
 */
export const REPLAY_CLAIM_MS = 60_000;

/**
 * Runs `work` while holding `key`, a lease in Redis, so that one replay or answer of an order runs
 * at a time across every board and CLI process; undefined, without running it, when someone else
 * holds it.
 */
export async function withReplayClaim<T>(
  redis: RedisConnection,
  key: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const token = randomUUID();
  if ((await redis.set(key, token, 'PX', REPLAY_CLAIM_MS, 'NX')) !== 'OK') return undefined;
  try {
    return await work();
  } finally {
    // Only if it is still this holder's: one that outlived its lease must not free the next holder's.
    await runCommand(redis, 'releaseLock', [key], [token]);
  }
}
