import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { serviceIdentity } from '../stock/keys.ts';

/** A deployment not seen for this long has stopped: it is not named any more. */
const GONE_AFTER_MS = 5 * 60_000;

/**
 * Deployments (queue prefixes) working on one Order API, noted in Redis by every worker. Two such on
 * one Redis both list every registered order and process it: the shared ledger and stock lock keep
 * the stock exact, but each order's status is written twice and each deployment's figures count the
 * other's work. Rarely meant, so each worker says so at start, naming the other.
 */
export async function noteDeployment(
  redis: RedisConnection,
  config: Pick<Config, 'ordersUrl' | 'queuePrefix'>,
  worker: string,
  logger: Logger,
  options: { readonly warn: boolean },
): Promise<void> {
  const ordersApi = serviceIdentity(config.ordersUrl);
  const key = `ordermanagement:deployments:{orders-${createHash('sha256').update(ordersApi).digest('hex').slice(0, 16)}}`;
  const now = Date.now();
  await redis.hset(key, config.queuePrefix, JSON.stringify({ worker, at: now }));
  if (!options.warn) return;
  const others = Object.entries(await redis.hgetall(key))
    .filter(([prefix]) => prefix !== config.queuePrefix)
    .map(([prefix, seen]) => ({ prefix, ...(JSON.parse(seen) as { worker: string; at: number }) }))
    .filter((other) => now - other.at < GONE_AFTER_MS);
  for (const other of others) {
    logger.warn(
      'another deployment works on the same Order API through this Redis: both process every order (the shared decrease ledger and stock lock keep the stock exact, but statuses are written twice); give each its own Order API, or stop one',
      {
        ordersApi,
        queuePrefix: config.queuePrefix,
        otherQueuePrefix: other.prefix,
        otherWorker: other.worker,
        otherSeen: new Date(other.at).toISOString(),
      },
    );
  }
}
