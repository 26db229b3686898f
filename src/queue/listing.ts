import type { Queues } from './queues.ts';

/**
 * What cycles saw when they listed the registered orders. Every cycle lists every registered order,
 * so an order waiting in a backlog is seen registered again every interval: a worker trusts the
 * order as listed while its last listing is younger than ORDER_REREAD_AFTER_MS, instead of reading
 * it again from the Order API, the upstream that limits how fast orders can go.
 */

/** A cycle's page: when it was asked for, and how long a listing stays worth keeping. */
export interface Listing {
  /** Date.now() when the page was asked for: it shows the orders as they were then or later. */
  readonly at: number;
  /** Listings older than this (ms) are forgotten: workers read such orders again anyway. */
  readonly keepMs: number;
}

/** The keys where listings are kept, beside the orders queue (and in its Cluster slot). */
export const listingKeys = (queue: Queues['orders']) => ({
  /** Order id -> when it was last listed registered. */
  listed: queue.toKey('listed'),
  /** Order id -> when it was first listed registered after its job had completed. */
  registeredAgain: queue.toKey('registered-again'),
});

/** When an order was last listed registered by a cycle (Date.now() ms), while a listing is kept. */
export async function lastListed(
  queues: Pick<Queues, 'orders' | 'redis'>,
  orderId: number,
): Promise<number | undefined> {
  const score = await queues.redis.zscore(listingKeys(queues.orders).listed, String(orderId));
  return score === null ? undefined : Number(score);
}

/** Orders listed registered after their job had completed, oldest first, with when that was first seen. */
export async function registeredAgain(
  queues: Pick<Queues, 'orders' | 'redis'>,
): Promise<{ orderId: number; since: number }[]> {
  const flat = await queues.redis.zrange(listingKeys(queues.orders).registeredAgain, '0', '-1', 'WITHSCORES');
  const found: { orderId: number; since: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) found.push({ orderId: Number(flat[i]), since: Number(flat[i + 1]) });
  return found;
}

/** A person replayed the order: it waits for nobody any more. */
export async function forgetRegisteredAgain(queues: Pick<Queues, 'orders' | 'redis'>, orderId: number): Promise<void> {
  await queues.redis.zrem(listingKeys(queues.orders).registeredAgain, String(orderId));
}
