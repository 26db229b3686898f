import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { spawnCli } from '../helpers/cli.ts';
import { otlpReceiver } from '../helpers/otlp-receiver.ts';
import { childEnv, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

/** How long each stop took, kept in test-artifacts/ as a figure (not asserted: it moves with the machine). */
const stops: Record<string, number> = {};
afterAll(() => writeFileSync(artifactPath('telemetry-stops.json'), `${JSON.stringify(stops, null, 2)}\n`));

const lines = (output: string, message: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);

describe('a collector that is down, stalled or unknown', () => {
  it.each([
    ['refuses connections', 'http/protobuf', async () => `http://127.0.0.1:${await freePort()}`],
    ['refuses connections', 'grpc', async () => `http://127.0.0.1:${await freePort()}`],
    ['accepts and never answers', 'http/protobuf', async () => (await otlpReceiver('http', 'stall')).url],
    ['accepts and never answers', 'grpc', async () => (await otlpReceiver('grpc', 'stall')).url],
    ['cannot be resolved', 'http/protobuf', async () => 'http://otel-collector.invalid:4318'],
  ])(
    '%s (%s): failing exports are warned about once, naming it; SIGTERM still exits 0, with one warning',
    async (what, protocol, collector) => {
      const endpoint = await collector();
      const h = await startSim({ orders: 3, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
      onTestFinished(() => h.sim.close());
      const proc = spawnCli(['start'], {
        ...childEnv(testConfig(h.sim, { INTERVAL_SECONDS: '60', LOG_LEVEL: 'info' })),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
        // Without a bound of its own, the flush would wait ten minutes for a stalled collector: far
        // beyond this test's timeout, so a stop that waits on the collector fails here.
        OTEL_EXPORTER_OTLP_TIMEOUT: '600000',
        OTEL_BSP_EXPORT_TIMEOUT: '600000',
        OTEL_BLRP_EXPORT_TIMEOUT: '600000',
      });
      await waitFor('the orders to ship', () => h.store.countByStatus().shipped === 3, { timeoutMs: 30_000 });
      // Metrics leave every 200 ms and fail each time: one warning, the rest held back for a minute.
      const [warning] = await waitFor('a warning about the exports', () => {
        const found = lines(proc.output(), 'telemetry cannot be exported');
        return found.length > 0 ? found : undefined;
      });
      expect(String(warning?.endpoint)).toContain(endpoint.replace(/\/$/, ''));

      const started = performance.now();
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      stops[`${what} (${protocol})`] = Math.round(performance.now() - started) / 1000;
      expect(lines(proc.output(), 'telemetry cannot be exported')).toHaveLength(1);
      const flush = lines(proc.output(), 'telemetry flush failed; exiting without the last traces, metrics and logs');
      expect(flush).toHaveLength(1);
      expect(lines(proc.output(), 'shut down cleanly')).toHaveLength(1);
    },
    60_000,
  );
});
