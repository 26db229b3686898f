import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../src/errors.ts';
import { createRandom } from '../src/random.ts';
import { type RedisServer, startRedisServer } from '../src/redis-server.ts';
import { createStockLock, type StockLock } from '../src/stock-lock.ts';

// A Redis of its own: the test counts the commands the locks send.
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

let prefix = 0;
/** Two replicas' locks: separate processes' queues over one Redis. */
function replicas(waitMs = 10_000): [StockLock, StockLock] {
  prefix += 1;
  const options = { prefix: `{lock-test-${prefix}}`, leaseMs: 5000, waitMs, random: createRandom(1) };
  return [createStockLock(redis, options), createStockLock(redis, options)];
}

async function setCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/^cmdstat_set:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

/** Runs `count` holders of each wood type spread over both replicas; reports the most inside at once. */
async function contend(locks: readonly StockLock[], woodTypes: readonly string[], count: number) {
  const inside = new Map<string, number>();
  let most = 0;
  let mostTotal = 0;
  const runs = Array.from({ length: count }, (_, i) =>
    woodTypes.map((woodType) =>
      (locks[i % locks.length] as StockLock).run(woodType, async () => {
        inside.set(woodType, (inside.get(woodType) ?? 0) + 1);
        most = Math.max(most, inside.get(woodType) ?? 0);
        mostTotal = Math.max(
          mostTotal,
          [...inside.values()].reduce((a, b) => a + b, 0),
        );
        await sleep(1); // the decrease call
        inside.set(woodType, (inside.get(woodType) ?? 0) - 1);
        return woodType;
      }),
    ),
  ).flat();
  const results = await Promise.all(runs);
  return { results, most, mostTotal };
}

describe('the stock lock', () => {
  it('lets one holder at a time take a wood type across replicas, and different wood types at once', async () => {
    const { results, most, mostTotal } = await contend(replicas(), ['oak', 'pine'], 30);
    expect(results).toHaveLength(60);
    expect(most).toBe(1);
    expect(mostTotal).toBe(2);
  });

  it('queues the callers of one process, so Redis is asked about once per holder rather than polled by every waiter', async () => {
    const [lock] = replicas();
    const before = await setCalls();
    const { results, most } = await contend([lock], ['oak'], 200);
    expect(results).toHaveLength(200);
    expect(most).toBe(1);
    expect((await setCalls()) - before).toBe(200);
  });

  it('fails the attempt as transient when the lock stays taken past STOCK_LOCK_WAIT_MS', async () => {
    const [a, b] = replicas(150);
    let release = () => {};
    const held = a.run('elm', () => new Promise<void>((resolve) => (release = resolve)));
    const waiter = b.run('elm', async () => 'never');
    await expect(waiter).rejects.toThrowError(new UpstreamError('transient', 'waited 150 ms for the elm stock lock'));
    await expect(waiter).rejects.toMatchObject({ kind: 'transient' });
    release();
    await held;
    expect(await b.run('elm', async () => 'after')).toBe('after');
  });
});
