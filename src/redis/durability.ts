import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { RedisConnection } from './connection.ts';

/**
 * What the decrease ledger needs of a Redis: never to drop a key (an evicted ledger record lets an
 * order be decreased again, an evicted job is an order stuck), and to keep every write across a
 * restart (the append-only file; snapshots alone lose the last minutes). Checked on every master.
 */
export function durabilityProblems(info: string, config: Pick<Config, 'redisAllowNoAof'>, node = 'Redis'): string[] {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const problems: string[] = [];
  const policy = field('maxmemory_policy');
  if (policy !== undefined && policy !== 'noeviction') {
    problems.push(
      `${node} maxmemory-policy is ${policy}: under memory pressure it would evict jobs and decrease-ledger records (stock taken twice, orders stuck); run it with maxmemory-policy noeviction`,
    );
  }
  if (field('aof_enabled') === '0' && !config.redisAllowNoAof) {
    problems.push(
      `${node} keeps no append-only file (appendonly no): a restart would forget the decrease ledger; run it with appendonly yes, or set REDIS_ALLOW_NO_AOF=true for a demo or a test`,
    );
  }
  return problems;
}

/** Refuses a Redis that could lose what the ledger holds: a ConfigError (exit 78) naming each setting. */
export async function checkDurability(redis: RedisConnection, config: Pick<Config, 'redisAllowNoAof'>): Promise<void> {
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  const problems = (
    await Promise.all(
      nodes.map(async (node) => {
        const info = `${await node.info('persistence')}\n${await node.info('memory')}`;
        const name = nodes.length > 1 ? `Redis ${node.options.host}:${node.options.port}` : 'Redis';
        return durabilityProblems(info, config, name);
      }),
    )
  ).flat();
  if (problems.length > 0) throw new ConfigError(problems);
}
