/**
 * `npm run bench`: ordermanagement against the reference services' capacity model (beside a naive
 * exact client, the bare BullMQ ceiling and the Order API's PUT capacity), then on the fast simulator
 * against a serial baseline and the bare ceiling, on a private Redis, with real worker processes.
 * Prints the results on stdout, a progress bar on stderr, and writes bench-results/results.json,
 * chart.svg and slowdown.svg.
 * Settings: BENCH_QUICK=1, BENCH_RUNS, BENCH_ORDERS, BENCH_FANOUT, BENCH_SCENARIOS... (bench/settings.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { hasRedisServer, startRedisServer } from '../cli/redis-server.ts';
import { createLogger } from '../src/logger.ts';
import { renderChart } from './chart.ts';
import { runPendingCleanups } from './cleanup.ts';
import type { BenchContext } from './context.ts';
import { describeEnvironment } from './environment.ts';
import { watchNeighbours } from './neighbours.ts';
import { Progress } from './progress.ts';
import { benchRedis } from './redis.ts';
import { renderReport } from './report.ts';
import { capacityWeight, runCapacity } from './scenarios/capacity.ts';
import { fanOutWeight, runFanOut } from './scenarios/fanout.ts';
import { latencyWeight, runLatency } from './scenarios/latency.ts';
import { runSlowdown, slowdownWeight } from './scenarios/slowdown.ts';
import { runStockLock, stockLockWeight } from './scenarios/stock-lock.ts';
import { runTelemetry, telemetryWeight } from './scenarios/telemetry.ts';
import { runThroughput, throughputWeight } from './scenarios/throughput.ts';
import { type BenchSettings, readSettings } from './settings.ts';
import { renderSlowdownChart } from './slowdown-chart.ts';
import { type Results, summarizeResults } from './summaries.ts';
import { checkTargets } from './targets.ts';

async function main(): Promise<number> {
  const settings = readSettings();
  if (!hasRedisServer()) {
    process.stderr.write('bench: needs redis-server on the PATH (it starts a private one on a free port)\n');
    return 1;
  }
  const startedAt = new Date();
  const started = performance.now();
  const neighbours = watchNeighbours();
  // AOF on, as the workers require of a production Redis (src/redis/durability.ts); bare BullMQ pays it too.
  const redis = await startRedisServer({ appendOnly: true });
  const admin = benchRedis(redis.url, 'admin');
  // The bench's own Redis errors go to stderr: stdout carries only the report.
  const logger = createLogger('error', { role: 'bench' }, [
    new winston.transports.Console({ stderrLevels: ['error'] }),
  ]);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}: stopping workers, simulator and Redis\n`);
    void runPendingCleanups()
      .finally(() => {
        admin.disconnect();
        return redis.destroy();
      })
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const environment = await describeEnvironment(admin);
    const { scenarios } = settings;
    const weights: [string, (s: BenchSettings) => number][] = [
      ['capacity', capacityWeight],
      ['slowdown', slowdownWeight],
      ['throughput', throughputWeight],
      ['lock', stockLockWeight],
      ['fanout', fanOutWeight],
      ['latency', latencyWeight],
      ['telemetry', telemetryWeight],
    ];
    const plan = new Progress(weights.reduce((sum, [name, w]) => sum + (scenarios.has(name) ? w(settings) : 0), 0));
    const run: BenchContext = { settings, redis, admin, progress: plan, logger, neighbours };

    const results: Results = {};
    if (scenarios.has('capacity')) results.capacity = await runCapacity(run);
    if (scenarios.has('slowdown')) results.slowdown = await runSlowdown(run);
    if (scenarios.has('throughput')) results.throughput = await runThroughput(run);
    if (scenarios.has('lock')) results.stockLock = await runStockLock(run);
    if (scenarios.has('fanout')) results.fanOut = await runFanOut(run);
    if (scenarios.has('latency')) results.latency = await runLatency(run);
    // Each latency's best worker shape of scenario 1; without scenario 1, the largest concurrency in one process.
    const best = summarizeResults(results).best;
    const telemetryShapes = settings.comparisonLatencies.map((latencyMs) => {
      const b = best.find((row) => row.latencyMs === latencyMs);
      return {
        latencyMs,
        concurrency: b?.concurrency ?? Math.max(...settings.concurrencies),
        processes: b?.processes ?? 1,
      };
    });
    if (scenarios.has('telemetry')) results.telemetry = await runTelemetry(run, telemetryShapes);
    plan.finish();

    const summaries = summarizeResults(results);
    const targets = checkTargets(summaries);
    const seconds = (performance.now() - started) / 1000;
    const seen = neighbours.stop();
    const report = renderReport({ settings, environment, summaries, targets, neighbours: seen, seconds });
    process.stdout.write(`\n${report}`);

    mkdirSync(settings.outDir, { recursive: true });
    const { serialOrders, scenarios: names, ...plain } = settings;
    const json = {
      startedAt: startedAt.toISOString(),
      seconds,
      environment,
      settings: {
        ...plain,
        scenarios: [...names],
        serialOrders: Object.fromEntries(settings.latencies.map((l) => [l, serialOrders(l)])),
      },
      neighbours: seen,
      targets,
      summaries,
      results,
    };
    const jsonPath = join(settings.outDir, 'results.json');
    const chartPath = join(settings.outDir, 'chart.svg');
    writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(
      chartPath,
      renderChart(summaries, `ordermanagement bench, ${environment.commit}, ${startedAt.toISOString()}`),
    );
    const written = [jsonPath, chartPath];
    const slow = results.slowdown;
    if (slow?.run.ok) {
      const slowdownPath = join(settings.outDir, 'slowdown.svg');
      const { before, slow: span } = slow.seconds;
      const title = `ordermanagement start on the capacity model, ${environment.commit}, ${startedAt.toISOString()}`;
      writeFileSync(slowdownPath, renderSlowdownChart(slow.run.value, [before, before + span], slow.factor, title));
      written.push(slowdownPath);
    }
    process.stdout.write(`\nWrote ${written.join(', ')}\n`);
    return 0;
  } finally {
    admin.disconnect();
    await redis.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
