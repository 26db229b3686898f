import type { RedisOptions } from 'bullmq';

/**
 * ioredis options from a redis:// or rediss:// URL (`redis://user:pass@host:6379/2`).
 *
 * `blocking` connections (workers, and the cycle that adds jobs from inside one) wait through a
 * Redis outage instead of failing their commands: BullMQ requires `maxRetriesPerRequest: null`
 * there. Short-lived clients (the CLI) fail fast so a user is told Redis is unreachable.
 */
export function redisOptions(redisUrl: string, mode: 'blocking' | 'fail-fast'): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Reconnect forever, backing off to 2 s: a Redis restart is survived without a process restart.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    ...(mode === 'blocking'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: (times: number) => (times > 3 ? null : 200) }),
  };
}
