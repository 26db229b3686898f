import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, startRedisServer } from '../../cli/redis-server.ts';
import { spawnCli } from '../helpers/cli.ts';
import { otlpReceiver } from '../helpers/otlp-receiver.ts';
import { childEnv, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

describe('telemetry of the ordermanagement command in a real process (no preload, no flags)', () => {
  it('instruments undici and ioredis, sends traces, metrics and logs over OTLP (http/protobuf by default), and serves a Prometheus scrape', async () => {
    const otlp = await otlpReceiver('http');
    const h = await startSim({ orders: 3, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { INTERVAL_SECONDS: '60' });
    const metricsPort = await freePort();
    const proc = spawnCli(['start'], {
      ...childEnv(config),
      OTEL_SERVICE_NAME: 'ordermanagement-test',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'info',
      METRICS_PORT: String(metricsPort),
    });

    await waitFor('the orders to ship', () => h.store.countByStatus().shipped === 3, { timeoutMs: 30_000 });
    await waitFor(
      'three order spans',
      () => otlp.received.spans.filter((s) => s.name === 'process orders').length === 3,
    );
    const cycle = otlp.received.spans.find((s) => s.name === 'process cycles');
    const inTrace = otlp.received.spans.filter((s) => s.traceId === cycle?.traceId);
    expect(inTrace.some((s) => s.scope === '@opentelemetry/instrumentation-undici')).toBe(true);
    // Redis spans show the instrumentation reached ioredis as the application imports it.
    expect(inTrace.some((s) => s.scope === '@opentelemetry/instrumentation-ioredis')).toBe(true);
    expect(otlp.received.services).toContain('ordermanagement-test');
    // The specification's default protocol, as the SDK chooses it.
    expect(new Set(otlp.received.arrivals.map((a) => a.contentType))).toEqual(new Set(['application/x-protobuf']));

    const scrape = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await scrape.body.text();
    expect(scrape.statusCode).toBe(200);
    expect(text).toMatch(/^ordermanagement_orders_processed_total\{[^}]*outcome="shipped"[^}]*\} 3$/m);
    expect(text).toMatch(/^ordermanagement_queue_depth\{[^}]*queue="orders"[^}]*state="failed"[^}]*\} 0$/m);
    // Prometheus names carry their unit, as Prometheus' own OTLP translation spells them.
    expect(text).toMatch(/^http_client_request_duration_seconds_bucket\{/m);
    expect(text).not.toMatch(/^http_client_request_duration_(bucket|sum|count)\{/m);
    // Counters the README lists are there before anything happened to them.
    for (const result of ['taken', 'not-taken', 'resent', 'person']) {
      expect(text).toMatch(
        new RegExp(`^ordermanagement_decrease_in_doubt_total\\{[^}]*result="${result}"[^}]*\\} 0$`, 'm'),
      );
    }
    expect(text).toMatch(/^ordermanagement_stock_drift_total\{[^}]*wood_type="oak"[^}]*\} 0$/m);
    expect(text).toMatch(/^ordermanagement_cycle_failures_total\{[^}]*final="true"[^}]*\} 0$/m);
    await waitFor('OTLP metrics', () => otlp.received.metricNames.has('ordermanagement.orders.processed'));
    // Log lines travel over OTLP too, each inside a span carrying its trace id.
    const orderTraces = new Set(otlp.received.spans.filter((s) => s.name === 'process orders').map((s) => s.traceId));
    const statusLogs = await waitFor('three status logs over OTLP', () => {
      const found = otlp.received.logs.filter((log) => log.body === 'order status set');
      return found.length === 3 ? found : undefined;
    });
    expect(statusLogs.every((log) => orderTraces.has(log.traceId))).toBe(true);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

describe('the metrics endpoint while Redis is down', () => {
  it('answers within a second, with the counters and the last known queue depths', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    onTestFinished(() => redis.destroy());
    const h = await startSim({ orders: 2, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const metricsPort = await freePort();
    spawnCli(['start'], {
      ...childEnv(testConfig(h.sim, { REDIS_URL: redis.url, INTERVAL_SECONDS: '60' })),
      METRICS_PORT: String(metricsPort),
    });
    await waitFor('the orders to ship', () => h.store.countByStatus().shipped === 2, { timeoutMs: 30_000 });
    const scrape = async () => {
      const started = Date.now();
      const res = await request(`http://127.0.0.1:${metricsPort}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
      return { status: res.statusCode, text: await res.body.text(), ms: Date.now() - started };
    };
    expect((await scrape()).text).toMatch(
      /^ordermanagement_queue_depth\{[^}]*queue="orders"[^}]*state="waiting"[^}]*\} 0$/m,
    );

    await redis.stop();
    const during = await scrape();
    expect(during.status).toBe(200);
    expect(during.ms).toBeLessThan(1000);
    expect(during.text).toMatch(/^ordermanagement_orders_processed_total\{[^}]*outcome="shipped"[^}]*\} 2$/m);
    expect(during.text).toMatch(/^ordermanagement_queue_depth\{[^}]*queue="orders"[^}]*state="waiting"[^}]*\} 0$/m);
  });
});

describe('the metrics endpoint with traces exported nowhere (the shipped defaults)', () => {
  it('still gives every upstream request’s time, by upstream and route', async () => {
    const h = await startSim({ orders: 3, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const metricsPort = await freePort();
    const proc = spawnCli(['start'], {
      ...childEnv(testConfig(h.sim, { INTERVAL_SECONDS: '60' })),
      METRICS_PORT: String(metricsPort),
    });
    await waitFor('the orders to ship', () => h.store.countByStatus().shipped === 3, { timeoutMs: 30_000 });
    let text = '';
    const count = (upstream: string, route: string) =>
      text
        .split('\n')
        .find(
          (line) =>
            line.startsWith('ordermanagement_upstream_request_duration_seconds_count{') &&
            line.includes(`upstream="${upstream}"`) &&
            line.includes(`route="${route}"`) &&
            line.includes('outcome="answered"'),
        )
        ?.split(' ')
        .at(-1);
    // The simulator counts an order shipped before its answer reaches the worker: scrape until it is recorded.
    await waitFor('the three PUTs in the scrape', async () => {
      text = await (await request(`http://127.0.0.1:${metricsPort}/metrics`)).body.text();
      return count('order', 'PUT /orders/:id') === '3';
    });
    expect(Number(count('order', 'GET /orders/status/registered'))).toBeGreaterThanOrEqual(1);
    expect(Number(count('stock', 'POST /stocks/decrease'))).toBeGreaterThanOrEqual(1);
    // The instrumentation's histogram records only requests inside a recording span: none here.
    expect(text).not.toMatch(/^http_client_request_duration_seconds_count\{/m);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
