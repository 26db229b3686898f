import { withCleanup } from '../cleanup.ts';
import type { BenchContext } from '../context.ts';
import { estimate } from '../estimates.ts';
import { measureOm } from '../measure-om.ts';
import { type OtlpCounts, startOtlpReceiver } from '../otlp-receiver.ts';
import { attempt, type Outcome } from '../outcome.ts';
import type { BenchSettings } from '../settings.ts';
import type { ThroughputRun } from '../throughput-run.ts';

export interface TelemetryRun {
  readonly off: ThroughputRun;
  readonly on: ThroughputRun;
  /**
   * The preload with every instrumentation in place but no span sampled: what instrumenting costs
   * before a single span is recorded or exported, the floor under `on`.
   */
  readonly unsampled: ThroughputRun;
  /** What the receiver got during the telemetry-on run: proof the export really happened. */
  readonly received: OtlpCounts;
}

export interface TelemetryShape {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly processes: number;
}

export interface TelemetryPoint extends TelemetryShape {
  readonly runs: Outcome<TelemetryRun>[];
}

export interface TelemetryResult {
  readonly orders: number;
  readonly metricExportIntervalMs: number;
  readonly points: TelemetryPoint[];
}

const METRIC_EXPORT_INTERVAL_MS = 10_000;

export function telemetryWeight(settings: BenchSettings): number {
  const perLatency = (latencyMs: number) =>
    settings.runs * (3 * estimate.startup + 3.3 * estimate.drain(settings.orders, latencyMs));
  return settings.latencies.reduce((sum, latencyMs) => sum + perLatency(latencyMs), 0);
}

/**
 * Scenario 5. Scenario 1 (each latency, in its best worker shape) with the telemetry preload
 * exporting over OTLP/HTTP to a receiver in this process, with the preload but nothing sampled, and
 * without the preload; the three rotate places from run to run so none always runs first.
 */
export function runTelemetry(ctx: BenchContext, shapes: readonly TelemetryShape[]): Promise<TelemetryResult> {
  const { orders, runs } = ctx.settings;
  return withCleanup(async (cleanup) => {
    const receiver = await startOtlpReceiver(cleanup);
    const exporting = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'ordermanagement-bench',
      OTEL_METRIC_EXPORT_INTERVAL: String(METRIC_EXPORT_INTERVAL_MS),
    };
    const result: TelemetryResult = { orders, metricExportIntervalMs: METRIC_EXPORT_INTERVAL_MS, points: [] };
    for (const shape of shapes) {
      const point: TelemetryPoint = { ...shape, runs: [] };
      result.points.push(point);
      const setup = { orders, ...shape };
      const name = `${shape.latencyMs} ms · c${shape.concurrency} ×${shape.processes}`;
      const drain = estimate.drain(orders, shape.latencyMs);
      for (let run = 0; run < runs; run++) {
        const tag = `run ${run + 1}/${runs}`;
        point.runs.push(
          await attempt(ctx.neighbours, `telemetry ${name} ${tag}`, async () => {
            let off: ThroughputRun | undefined;
            let on: ThroughputRun | undefined;
            let unsampled: ThroughputRun | undefined;
            let received: OtlpCounts | undefined;
            const steps = [
              async () => {
                ctx.progress.step(`telemetry ${tag} · ${name} · preload off`, estimate.startup + drain);
                off = await measureOm(ctx, setup);
              },
              async () => {
                ctx.progress.step(
                  `telemetry ${tag} · ${name} · preload on, OTLP export`,
                  estimate.startup + 1.2 * drain,
                );
                receiver.take();
                on = await measureOm(ctx, { ...setup, telemetry: true, env: exporting });
                received = receiver.take();
              },
              async () => {
                ctx.progress.step(
                  `telemetry ${tag} · ${name} · preload on, nothing sampled`,
                  estimate.startup + 1.1 * drain,
                );
                unsampled = await measureOm(ctx, {
                  ...setup,
                  telemetry: true,
                  env: { ...exporting, OTEL_TRACES_SAMPLER: 'always_off' },
                });
              },
            ];
            for (let i = 0; i < steps.length; i++) await steps[(run + i) % steps.length]?.();
            if (off === undefined || on === undefined || unsampled === undefined || received === undefined)
              throw new Error('a part of the trio is missing');
            return { off, on, unsampled, received };
          }),
        );
      }
    }
    return result;
  });
}
