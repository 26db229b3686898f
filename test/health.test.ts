import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../cli/redis-server.ts';
import { startHealthServer } from '../src/health.ts';
import { createLogger } from '../src/logger.ts';
import { startWorkers } from '../workers/index.ts';
import { startSim, testConfig } from './helpers/pipeline.ts';
import { waitFor } from './helpers/wait.ts';

async function get(
  url: string,
): Promise<{ status: number; body: { status: string; checks?: Record<string, boolean> } }> {
  const res = await request(url);
  return { status: res.statusCode, body: (await res.body.json()) as { status: string } };
}

describe('health endpoints', () => {
  it('go unready while Redis is down and ready again when it returns; liveness holds throughout', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    onTestFinished(() => redis.destroy());
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const workers = await startWorkers(testConfig(h.sim, { REDIS_URL: redis.url }), createLogger('error'));
    onTestFinished(() => workers.close());
    const health = await startHealthServer('127.0.0.1', 0, () => workers.readinessChecks);
    onTestFinished(() => health.close());

    expect(await get(`${health.url}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', ready: true, checks: { redis: true, workers: true, ledger: true } },
    });
    await redis.stop();
    const down = await waitFor('readyz to fail', async () => {
      const answer = await get(`${health.url}/readyz`);
      return answer.status === 503 ? answer : undefined;
    });
    expect(down.body.checks).toEqual({ redis: false, workers: true, ledger: true });
    expect((await get(`${health.url}/livez`)).status).toBe(200);

    await redis.start();
    await waitFor('readyz to pass again', async () => (await get(`${health.url}/readyz`)).status === 200);
  });

  it('answers 404 elsewhere', async () => {
    const health = await startHealthServer('127.0.0.1', 0, () => ({ always: async () => true }));
    onTestFinished(() => health.close());
    expect((await request(`${health.url}/admin`)).statusCode).toBe(404);
  });
});
