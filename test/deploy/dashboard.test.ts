import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { WOOD_TYPES } from '../../src/domain/order.ts';
import { createRandom } from '../../src/random.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { spawnCli } from '../helpers/cli.ts';
import { childEnv, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const PROMETHEUS = '/usr/bin/prometheus';

interface Panel {
  title: string;
  targets: { expr: string }[];
}

type Vector = { metric: Record<string, string>; value: [number, string] }[];

/** Debian's Prometheus 2.42, scraping `target` every second, in a directory of its own. */
async function startPrometheus(target: string): Promise<{ query(expr: string): Promise<Vector> }> {
  try {
    execFileSync(PROMETHEUS, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `the dashboard test needs Debian's Prometheus at ${PROMETHEUS}: apt-get install prometheus (.ci/run does)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ordermanagement-prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ordermanagement\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onTestFinished(async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const query = async (expr: string): Promise<Vector> => {
    const res = await request(`http://127.0.0.1:${port}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.body.json()) as { status: string; data?: { result: Vector }; error?: string };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.result ?? [];
  };
  await waitFor('Prometheus to answer', async () => (await query('up').catch(() => undefined)) !== undefined);
  return { query };
}

/** Prometheus scraping the app's /metrics, once it has scraped it a first time. */
async function startPipelinePrometheus(metricsPort: number) {
  const prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);
  await waitFor('a first scrape of the app', async () => numbers(await prometheus.query('up'))[0] === 1);
  return prometheus;
}

const numbers = (vector: Vector) => vector.map((sample) => Number(sample.value[1]));
const byQueue = (vector: Vector) => new Map(vector.map((sample) => [sample.metric.queue, Number(sample.value[1])]));

describe('the Grafana dashboard against a real Prometheus scraping the app', () => {
  it('finds data for every panel (failures, doubts and drift from 0), and latency quantiles that agree with the mean', async () => {
    const h = await startSim(
      { orders: 0, stock: { oak: 1e6, maple: 1e6, birch: 1e6, pine: 1e6 } },
      { errorRate: 0.05, latencyMs: 5 },
    );
    onTestFinished(() => h.sim.close());
    const metricsPort = await freePort();
    spawnCli(['start'], {
      ...childEnv(testConfig(h.sim, { INTERVAL_SECONDS: '0.5', PAGE_SIZE: '100', ERROR_RATE: '0.05' })),
      METRICS_PORT: String(metricsPort),
    });
    const prometheus = await startPipelinePrometheus(metricsPort);
    // Orders arrive for ten seconds, so every rate() sees them flow across several scrapes.
    const random = createRandom(3);
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 200; i++) h.store.createOrder(WOOD_TYPES[Math.floor(random() * 4)] as string, 1 + (i % 5));
      const expected = (second + 1) * 200;
      await waitFor(
        `${expected} orders final`,
        () => h.store.orders.size - h.store.countByStatus().registered >= expected,
        {
          timeoutMs: 30_000,
        },
      );
    }
    // A few more scrapes, so every rate() has samples of the finished run.
    const finished = Date.now() / 1000;
    await waitFor(
      'three scrapes after the run',
      async () => (numbers(await prometheus.query('timestamp(up)'))[0] ?? 0) >= finished + 3,
    );

    const dashboard = JSON.parse(
      readFileSync(new URL('../../deploy/grafana/dashboards/ordermanagement.json', import.meta.url), 'utf8'),
    ) as {
      panels: Panel[];
    };
    const figures: { panel: string; expr: string; values: number[] }[] = [];
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        // Grafana's $__rate_interval and friends are not used; the windows are the dashboard's own.
        const values = numbers(await prometheus.query(expr));
        figures.push({ panel: panel.title, expr, values });
        expect(values.filter(Number.isFinite), `${panel.title}: ${expr}`).not.toEqual([]);
      }
    }

    const mean = byQueue(
      await prometheus.query(
        'sum by (queue) (rate(ordermanagement_job_duration_seconds_sum[5m])) / sum by (queue) (rate(ordermanagement_job_duration_seconds_count[5m]))',
      ),
    );
    const p50 = byQueue(
      await prometheus.query(
        'histogram_quantile(0.5, sum by (le, queue) (rate(ordermanagement_job_duration_seconds_bucket[5m])))',
      ),
    );
    expect([...p50.keys()]).toEqual(['orders']);
    for (const [queue, quantile] of p50) {
      const average = mean.get(queue) ?? Number.NaN;
      expect(quantile / average, `${queue}: p50 ${quantile} s against a mean of ${average} s`).toBeGreaterThan(0.5);
      expect(quantile / average, `${queue}: p50 ${quantile} s against a mean of ${average} s`).toBeLessThan(2);
    }
    const shown = { figures, mean: Object.fromEntries(mean), p50: Object.fromEntries(p50) };
    writeFileSync(artifactPath('dashboard-panels.json'), `${JSON.stringify(shown, null, 2)}\n`);
  });
});
