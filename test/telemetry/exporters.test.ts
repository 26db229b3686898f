import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { otlpReceiver, type Received } from '../helpers/otlp-receiver.ts';
import { childEnv, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };
/** Exports soon after the fact, so a test waits a moment rather than the SDK's minute. */
const PROMPT = { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '300' };

/** `start` against a simulator with three orders, with `otel` set; resolves once they shipped. */
async function startWith(otel: Record<string, string>) {
  const h = await startSim({ orders: 3, stock: STOCK });
  onTestFinished(() => h.sim.close());
  const proc = spawnCli(['start'], {
    ...childEnv(testConfig(h.sim, { INTERVAL_SECONDS: '60', LOG_LEVEL: 'info' })),
    ...PROMPT,
    ...otel,
  });
  await waitFor('the orders to ship', () => h.store.countByStatus().shipped === 3, { timeoutMs: 30_000 });
  return proc;
}

/** Every signal arrived: the three order spans, the orders counter, the three status log lines. */
const allSignals = (received: Received) =>
  received.spans.filter((s) => s.name === 'process orders').length === 3 &&
  received.metricNames.has('ordermanagement.orders.processed') &&
  received.logs.filter((l) => l.body === 'order status set').length === 3;

describe('OTEL_EXPORTER_OTLP_PROTOCOL', () => {
  it.each([
    ['http/json', 'http', 'application/json'],
    ['http/protobuf', 'http', 'application/x-protobuf'],
    ['grpc', 'grpc', 'application/grpc'],
  ] as const)(
    '%s: traces, metrics and logs arrive as the collector expects them',
    async (protocol, kind, contentType) => {
      const otlp = await otlpReceiver(kind);
      const proc = await startWith({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
      await waitFor(`every signal over ${protocol}`, () => allSignals(otlp.received));
      const signals = new Set(otlp.received.arrivals.map((a) => `${a.signal} ${a.contentType}`));
      expect(signals).toEqual(new Set(['traces', 'metrics', 'logs'].map((signal) => `${signal} ${contentType}`)));
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    },
  );

  it('is overridden per signal, each to its own endpoint', async () => {
    const grpc = await otlpReceiver('grpc');
    const json = await otlpReceiver('http');
    const proc = await startWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${json.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    await waitFor('traces as JSON', () => json.received.spans.filter((s) => s.name === 'process orders').length === 3);
    await waitFor(
      'metrics and logs over gRPC',
      () => grpc.received.metricNames.size > 0 && grpc.received.logs.length > 0,
    );
    expect(new Set(json.received.arrivals.map((a) => a.signal))).toEqual(new Set(['traces']));
    expect(grpc.received.arrivals.some((a) => a.signal === 'traces')).toBe(false);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

describe('OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER', () => {
  it('none turns one signal off, the others still go, and logs keep their trace ids', async () => {
    const otlp = await otlpReceiver('http');
    const proc = await startWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'otlp',
    });
    await waitFor('metrics and the status logs', () => {
      const logs = otlp.received.logs.filter((l) => l.body === 'order status set');
      return otlp.received.metricNames.size > 0 && logs.length === 3;
    });
    expect(otlp.received.arrivals.filter((a) => a.signal === 'traces')).toEqual([]);
    for (const log of otlp.received.logs.filter((l) => l.body === 'order status set')) {
      expect(log.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('console prints spans and log records on stdout, sending nothing anywhere', async () => {
    const proc = await startWith({ OTEL_TRACES_EXPORTER: 'console', OTEL_LOGS_EXPORTER: 'console' });
    await waitFor('a span and a log record on stdout', () =>
      /name: 'process orders'/.test(proc.output()) && /body: 'order status set'/.test(proc.output()) ? true : undefined,
    );
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('prometheus serves a scrape on OTEL_EXPORTER_PROMETHEUS_PORT, without any OTLP endpoint', async () => {
    const port = await freePort();
    const proc = await startWith({
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    const text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    expect(text).toMatch(/^ordermanagement_orders_processed_total\{[^}]*outcome="shipped"[^}]*\} 3$/m);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('are checked at start: a value the SDK would ignore with a warning stops the process, named (exit 78)', async () => {
    const result = await runCli(['worker'], {
      PATH: process.env.PATH,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grcp',
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_LOGS_EXPORTER: 'otlp,none',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_PROMETHEUS_PORT: '99999',
    });
    expect(result.code).toBe(78);
    const disabled = await runCli(['worker'], {
      PATH: process.env.PATH,
      OTEL_SDK_DISABLED: 'true',
      METRICS_PORT: '9464',
    });
    expect(disabled.code).toBe(78);
    expect(disabled.stderr).toContain(
      `METRICS_PORT: serves the SDK's metrics, which OTEL_SDK_DISABLED=true turns off (got "9464")`,
    );
    for (const problem of [
      'OTEL_EXPORTER_OTLP_PROTOCOL: must be one of http/protobuf, http/json, grpc (got "grcp")',
      'OTEL_TRACES_EXPORTER: must be otlp, console, none, or several of them separated by commas (got "jaeger")',
      'OTEL_LOGS_EXPORTER: none turns the signal off and goes alone (got "otlp,none")',
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: must start with http:// or https:// (got "collector:4318")',
      'OTEL_EXPORTER_PROMETHEUS_PORT: must be a port number, 1 to 65535 (got "99999")',
    ]) {
      expect(result.stderr).toContain(problem);
    }
  });
});
