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
  /** What the receiver got during the telemetry-on run: proof the export really happened. */
  readonly received: OtlpCounts;
}

export interface TelemetryResult {
  readonly orders: number;
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly processes: number;
  readonly metricExportIntervalMs: number;
  readonly runs: Outcome<TelemetryRun>[];
}

const METRIC_EXPORT_INTERVAL_MS = 10_000;

export function telemetryWeight(settings: BenchSettings): number {
  return settings.runs * 2 * (estimate.startup + 1.3 * estimate.drain(settings.orders, 0));
}

/**
 * Scenario 5. The same run (latency 0, the best worker shape of scenario 1) with the telemetry
 * preload exporting over OTLP/HTTP to a receiver in this process, and without the preload; the two
 * swap places every other run.
 */
export function runTelemetry(
  ctx: BenchContext,
  shape: { concurrency: number; processes: number },
): Promise<TelemetryResult> {
  const { orders, runs } = ctx.settings;
  return withCleanup(async (cleanup) => {
    const receiver = await startOtlpReceiver(cleanup);
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'ordermanagement-bench',
      OTEL_METRIC_EXPORT_INTERVAL: String(METRIC_EXPORT_INTERVAL_MS),
    };
    const setup = { orders, latencyMs: 0, ...shape };
    const result: TelemetryResult = {
      orders,
      latencyMs: 0,
      ...shape,
      metricExportIntervalMs: METRIC_EXPORT_INTERVAL_MS,
      runs: [],
    };
    const name = `0 ms · c${shape.concurrency} ×${shape.processes}`;
    for (let run = 0; run < runs; run++) {
      const tag = `run ${run + 1}/${runs}`;
      result.runs.push(
        await attempt(ctx.neighbours, `telemetry ${tag}`, async () => {
          let off: ThroughputRun | undefined;
          let on: ThroughputRun | undefined;
          let received: OtlpCounts | undefined;
          const measureOff = async () => {
            ctx.progress.step(`telemetry ${tag} · ${name} · preload off`, estimate.startup + estimate.drain(orders, 0));
            off = await measureOm(ctx, setup);
          };
          const measureOn = async () => {
            ctx.progress.step(
              `telemetry ${tag} · ${name} · preload on, OTLP export`,
              estimate.startup + 1.6 * estimate.drain(orders, 0),
            );
            receiver.take();
            on = await measureOm(ctx, { ...setup, preload: true, env });
            received = receiver.take();
          };
          for (const step of run % 2 === 0 ? [measureOff, measureOn] : [measureOn, measureOff]) await step();
          if (off === undefined || on === undefined || received === undefined)
            throw new Error('a half of the pair is missing');
          return { off, on, received };
        }),
      );
    }
    return result;
  });
}
