import type { SettingSpec } from '../setting.ts';

/** Where the queues, the schedule and the decrease ledger live. */
export const redisSettings = {
  redisUrl: {
    doc: 'Redis connection URL (redis:// or rediss://); a password in it is never logged.',
    format: 'redis-url',
    sensitive: true,
    default: 'redis://127.0.0.1:6379',
    env: 'REDIS_URL',
  },
  redisClusterNodes: {
    doc: 'Redis Cluster seed nodes as host:port,host:port; credentials and TLS still come from REDIS_URL. QUEUE_PREFIX must hold a {hash tag}.',
    format: 'node-list',
    default: '',
    env: 'REDIS_CLUSTER_NODES',
  },
  redisSentinels: {
    doc: 'Redis Sentinels as host:port,host:port; the master is REDIS_SENTINEL_NAME; credentials and TLS come from REDIS_URL.',
    format: 'node-list',
    default: '',
    env: 'REDIS_SENTINELS',
  },
  redisSentinelName: {
    doc: 'Name of the master the Sentinels watch.',
    format: String,
    default: 'mymaster',
    env: 'REDIS_SENTINEL_NAME',
  },
  redisAllowNoAof: {
    doc: 'Start workers although Redis keeps no append-only file (appendonly no): a restart then loses the decrease ledger, and decreases stop until a person runs `ordermanagement accept-loss`. For demos and tests.',
    format: 'boolean-text',
    default: 'false',
    env: 'REDIS_ALLOW_NO_AOF',
  },
  queuePrefix: {
    doc: 'Redis key prefix of the queues (the stock lock and the decrease ledger are keyed by the Stock API instead); the braces make a Redis Cluster hash tag.',
    format: 'queue-prefix',
    default: '{ordermanagement}',
    env: 'QUEUE_PREFIX',
  },
} as const satisfies Record<string, SettingSpec>;
