import type { ConnectionOptions as BullMQConnection } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.ts';
import { StartupError } from '../errors.ts';
import { redactUrl } from '../redact.ts';

export type RedisMode = 'blocking' | 'fail-fast';

/** A single Redis, a Sentinel-managed one, or a Cluster: the commands this project sends work on each. */
export type RedisConnection = Redis | Cluster;

/**
 * ioredis options from a redis:// or rediss:// URL (`redis://user:pass@host:6379/2`).
 *
 * `blocking` connections (workers, and the cycle that adds jobs from inside one) wait through a
 * Redis outage instead of failing their commands: BullMQ requires `maxRetriesPerRequest: null`
 * there. Short-lived clients (the CLI) fail fast so a user is told Redis is unreachable.
 */
export function redisOptions(redisUrl: string, mode: RedisMode): RedisOptions {
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

/** `host:port,host:port` (validated by the configuration) as ioredis node addresses. */
export function parseNodes(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node !== '')
    .map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(node.slice(at + 1)) };
    });
}

/**
 * Options for one server or a Sentinel group: REDIS_SENTINELS for Sentinel, REDIS_URL alone for one
 * server. REDIS_URL still carries the credentials, TLS and database.
 */
export function connectionOptions(config: Config, mode: RedisMode): RedisOptions {
  const options = redisOptions(config.redisUrl, mode);
  if (config.redisSentinels === '') return options;
  const { host: _host, port: _port, ...rest } = options;
  return {
    ...rest,
    sentinels: parseNodes(config.redisSentinels),
    name: config.redisSentinelName,
    ...(rest.password === undefined ? {} : { sentinelPassword: rest.password }),
  };
}

/** Opens the configured Redis: a Cluster when REDIS_CLUSTER_NODES is set, else as `connectionOptions`. */
export function createRedis(config: Config, mode: RedisMode): RedisConnection {
  if (config.redisClusterNodes === '') return new Redis(connectionOptions(config, mode));
  const { host: _host, port: _port, db: _db, retryStrategy, ...nodeOptions } = redisOptions(config.redisUrl, mode);
  return new Cluster(parseNodes(config.redisClusterNodes), {
    redisOptions: nodeOptions,
    clusterRetryStrategy: retryStrategy,
    ...(mode === 'blocking' ? {} : { maxRedirections: 3 }),
  });
}

/**
 * What BullMQ workers connect with. Given options, BullMQ opens its own connections, which the
 * ioredis instrumentation traces; a Cluster has to be passed as an instance (its commands then run
 * through BullMQ's wrapper, and Redis spans of job updates are not recorded).
 */
export function workerConnection(config: Config): { connection: BullMQConnection; close(): void } {
  if (config.redisClusterNodes === '') {
    return { connection: connectionOptions(config, 'blocking') as BullMQConnection, close: () => {} };
  }
  const cluster = createRedis(config, 'blocking');
  return { connection: cluster, close: () => cluster.disconnect() };
}

/** Which settings say where Redis is, for messages: the variable a person should look at. */
function whereRedis(config: Config): string {
  if (config.redisClusterNodes !== '') return `the Redis Cluster at ${config.redisClusterNodes} (REDIS_CLUSTER_NODES)`;
  if (config.redisSentinels !== '') return `the Redis Sentinels at ${config.redisSentinels} (REDIS_SENTINELS)`;
  return `Redis at ${redactUrl(config.redisUrl)} (REDIS_URL)`;
}

/**
 * Fails within `timeoutMs`, naming the variable, when Redis cannot be reached: a command that does
 * one thing and exits must not hang on it, nor answer with a stack trace.
 */
export async function reachRedis(redis: RedisConnection, config: Config, timeoutMs = 10_000): Promise<void> {
  let lastError = '';
  const remember = (error: Error) => {
    lastError = (error as { code?: string }).code ?? error.message;
  };
  redis.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const reason = lastError || (error as Error).message;
    throw new StartupError(`cannot reach ${whereRedis(config)}: ${reason}`);
  } finally {
    clearTimeout(timer);
    redis.off('error', remember);
  }
}
