import { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../../cli/redis-server.ts';
import { loadConfig } from '../../src/config/load.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { spawnCli } from '../helpers/cli.ts';
import { childEnv, EXACT, invariants, startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { startRedisCluster } from '../helpers/redis-cluster.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 10_000, maple: 10_000, birch: 10_000, elm: 10_000, pine: 10_000 };

describe('Redis beyond one plain node', () => {
  it('runs the pipeline on a 3-master Redis Cluster, with every key of the flow in one slot', async () => {
    const cluster = await startRedisCluster();
    onTestFinished(() => cluster.destroy());
    const h = await startSim({ orders: 150, stock: STOCK });
    onTestFinished(() => h.sim.close());
    const p = await startPipeline(testConfig(h.sim, { REDIS_CLUSTER_NODES: cluster.nodes, PAGE_SIZE: '40' }));
    onTestFinished(() => p.close());
    expect(p.queues.redis).toBeInstanceOf(Cluster);
    await upsertCycleScheduler(p.queues.cycles, p.config);
    await waitFor('every order to ship', () => h.store.countByStatus().shipped === 150, { timeoutMs: 60_000 });
    expect(invariants(h)).toEqual({ registered: 0, excess: EXACT, doubleDecreases: [] });

    // Every key of both queues and the stock locks lives on the one master that owns the hash tag.
    const masters = (p.queues.redis as Cluster).nodes('master');
    expect(masters).toHaveLength(3);
    const keysPerMaster = await Promise.all(
      masters.map(async (node) => (await node.keys(`${p.config.queuePrefix}*`)).length),
    );
    expect(keysPerMaster.filter((n) => n > 0)).toHaveLength(1);
    expect(Math.max(...keysPerMaster)).toBeGreaterThan(150);
  });

  it('refuses a Cluster without a hash tag in the prefix, and Cluster with Sentinel', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', QUEUE_PREFIX: 'plain' })).toThrowError(
      'QUEUE_PREFIX: must hold a {hash tag} on a Redis Cluster (got "plain")',
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toThrowError(
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS: set one of them, not both',
    );
    expect(() => loadConfig({ REDIS_SENTINELS: 'sentinel-without-port' })).toThrowError(
      'REDIS_SENTINELS: must be host:port pairs separated by commas',
    );
  });

  it('authenticates with the password in REDIS_URL', async () => {
    const server = await startRedisServer({ password: 'p@ss word' });
    onTestFinished(() => server.destroy());
    const url = server.url.replace('redis://', `redis://:${encodeURIComponent('p@ss word')}@`);
    const redis = createRedis(loadConfig({ REDIS_URL: url }), 'fail-fast');
    onTestFinished(async () => redis.disconnect());
    expect(await redis.ping()).toBe('PONG');
    const anonymous = createRedis(loadConfig({ REDIS_URL: server.url }), 'fail-fast');
    anonymous.on('error', () => {});
    onTestFinished(async () => anonymous.disconnect());
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
  });

  it('never logs the Redis password, whatever a worker process reports', async () => {
    const server = await startRedisServer({ password: 'hunter2-secret', appendOnly: true });
    onTestFinished(() => server.destroy());
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, {
      REDIS_URL: server.url.replace('redis://', 'redis://:hunter2-secret@'),
      LOG_LEVEL: 'info',
    });
    const worker = spawnCli(['worker'], childEnv(config));
    await waitFor('the worker to start', () => worker.output().includes('workers started'));
    // Restarting Redis makes every connection report errors, each a chance to leak the URL.
    await server.stop();
    await waitFor('connection errors in the log', () => worker.output().includes('ECONNREFUSED'));
    await server.start();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('redis://:***@127.0.0.1');
    expect(worker.output()).not.toContain('hunter2-secret');
  });

  it('builds Sentinel connections from REDIS_SENTINELS with REDIS_URL credentials', () => {
    const redis = createRedis(
      loadConfig({ REDIS_SENTINELS: '10.0.0.5:26379, 10.0.0.6:26379', REDIS_URL: 'redis://:secret@ignored:6379/3' }),
      'fail-fast',
    );
    const options = (redis as unknown as { options: Record<string, unknown> }).options;
    redis.disconnect();
    expect(options).toMatchObject({
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '10.0.0.6', port: 26379 },
      ],
      name: 'mymaster',
      password: 'secret',
      sentinelPassword: 'secret',
      db: 3,
    });
  });
});
