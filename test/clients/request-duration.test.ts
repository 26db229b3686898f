import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { createRandom } from '../../src/random.ts';
import { serveOnLoopback } from '../helpers/loopback.ts';
import { TestReader } from '../helpers/metric-reader.ts';

// The project's meters are taken when its modules load: the provider comes first.
const reader = new TestReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
const { JsonHttpClient } = await import('../../src/clients/http.ts');

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Sends one PUT through a client labelled `label`; its failure, if any, is ignored. */
async function put(label: string, url: string, timeoutMs = 2000): Promise<void> {
  const http = new JsonHttpClient('Test API', url, {
    timeoutMs,
    connections: 2,
    limit: { random: createRandom(7), label },
  });
  closers.push(() => http.close());
  await http.send({ method: 'PUT', path: '/orders/1', route: 'PUT /orders/:id', body: {} }).catch(() => undefined);
}

/** The request-duration histogram's count per outcome, for one upstream label. */
async function counts(label: string): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'ordermanagement.upstream.request_duration_seconds');
  const points = (metric?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: { count: number } }[];
  return Object.fromEntries(
    points
      .filter((p) => p.attributes.upstream === label)
      .map((p) => [`${p.attributes.route} ${p.attributes.outcome}`, p.value.count]),
  );
}

describe('the upstream request-duration histogram', () => {
  it('counts every request that left, by outcome: answered whatever its status, timed out, failed', async () => {
    await put('a', await serveOnLoopback((_req, res) => res.writeHead(200).end('{}')));
    await put('a', await serveOnLoopback((_req, res) => res.writeHead(500).end('oops')));
    await put('a', await serveOnLoopback(() => {}), 200);
    await put('a', await serveOnLoopback((req) => req.socket.destroy()));
    expect(await counts('a')).toEqual({
      'PUT /orders/:id answered': 2,
      'PUT /orders/:id timeout': 1,
      'PUT /orders/:id failed': 1,
    });
  });

  it('leaves out a request that never left: its connection was refused', async () => {
    await put('b', `http://127.0.0.1:${await freePort()}`);
    expect(await counts('b')).toEqual({});
  });
});
