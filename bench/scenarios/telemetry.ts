import { withCleanup } from '../cleanup.ts';
import type { BenchContext } from '../context.ts';
import { estimate } from '../estimates.ts';
import { measureOm } from '../measure-om.ts';
import { type OtlpCounts, startOtlpReceiver } from '../otlp-receiver.ts';
import { attempt, type Outcome } from '../outcome.ts';
import type { BenchSettings } from '../settings.ts';
import type { ThroughputRun } from '../throughput-run.ts';

/** One run of each way telemetry can be set, back to back. */
export interface TelemetryRun {
  /** OTEL_SDK_DISABLED=true: no SDK, no instrumentation. */
  readonly off: ThroughputRun;
  /** Every trace sampled and exported over OTLP/HTTP. */
  readonly full: ThroughputRun;
  /** One order in ten sampled (parentbased_traceidratio 0.1, each order its own trace). */
  readonly ratio: ThroughputRun;
  /** Nothing sampled (always_off): what the instrumentation costs before any span is recorded. */
  readonly unsampled: ThroughputRun;
  /** What the receiver got during the fully sampled run: proof the export really happened. */
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
    settings.runs * (4 * estimate.startup + 4.4 * estimate.drain(settings.orders, latencyMs));
  return settings.comparisonLatencies.reduce((sum, latencyMs) => sum + perLatency(latencyMs), 0);
}

/**
 * Scenario 5. Scenario 1 (each latency, in its best worker shape) without telemetry, with every trace
 * exported over OTLP/HTTP to a receiver in this process, with one order in ten sampled, and with
 * nothing sampled; the four rotate places from run to run so none always runs first.
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
    const variants = {
      off: { telemetry: false },
      full: { telemetry: true, env: exporting },
      ratio: {
        telemetry: true,
        // One cycle here fans out every order: sampled by cycle, the run would be all or nothing. Each
        // order its own trace, one in ten is sampled: the share one cycle in ten gives where cycles are small.
        env: {
          ...exporting,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
          TRACE_ORDERS: 'link',
        },
      },
      unsampled: { telemetry: true, env: { ...exporting, OTEL_TRACES_SAMPLER: 'always_off' } },
    } as const;
    const result: TelemetryResult = { orders, metricExportIntervalMs: METRIC_EXPORT_INTERVAL_MS, points: [] };
    for (const shape of shapes) {
      const point: TelemetryPoint = { ...shape, runs: [] };
      result.points.push(point);
      const name = `${shape.latencyMs} ms · c${shape.concurrency} ×${shape.processes}`;
      const drain = estimate.drain(orders, shape.latencyMs);
      for (let run = 0; run < runs; run++) {
        const tag = `run ${run + 1}/${runs}`;
        point.runs.push(
          await attempt(ctx.neighbours, `telemetry ${name} ${tag}`, async () => {
            const measured: Partial<Record<keyof typeof variants, ThroughputRun>> = {};
            let received: OtlpCounts | undefined;
            const names = Object.keys(variants) as (keyof typeof variants)[];
            for (let i = 0; i < names.length; i++) {
              const variant = names[(run + i) % names.length] as keyof typeof variants;
              ctx.progress.step(`telemetry ${tag} · ${name} · ${variant}`, estimate.startup + 1.1 * drain);
              receiver.take();
              measured[variant] = await measureOm(ctx, { orders, ...shape, ...variants[variant] });
              if (variant === 'full') received = receiver.take();
            }
            const { off, full, ratio, unsampled } = measured;
            if (!off || !full || !ratio || !unsampled || !received) throw new Error('a variant is missing');
            return { off, full, ratio, unsampled, received };
          }),
        );
      }
    }
    return result;
  });
}
