import { logs, trace } from '@opentelemetry/api';
import { type LoggerProvider as BridgedLoggerProvider, logs as bridgedLogs } from '@opentelemetry/api-logs';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  ConsoleMetricExporter,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Listening } from '../listen.ts';
import { setLogExport } from './log-export.ts';
import { type PrometheusEndpoint, prometheusEndpoint, servePrometheus } from './prometheus.ts';
import { redisStatement } from './redis-statement.ts';
import { type Protocol, SIGNALS, type Signal, type SignalExport, signalExports } from './selection.ts';
import { gatherTroubles, reportTroubles, type Warn } from './troubles.ts';

export interface TelemetryOptions {
  readonly serviceName?: string;
  /** Replaces the processors chosen from the environment (tests pass in-memory exporters). */
  readonly spanProcessors?: SpanProcessor[];
  readonly metricReaders?: IMetricReader[];
  /** Serve Prometheus text on this port (METRICS_PORT) once a role calls serveMetrics; 0 or absent: none. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** Where failing exports are warned about (rate-limited) and the end of the final flush. */
  readonly warn?: Warn;
}

/** How long the final flush may take on shutdown: a collector that is down or stalled never holds the stop. */
export const FLUSH_TIMEOUT_MS = 2000;

interface Running {
  readonly sdk: NodeSDK;
  readonly prometheus: readonly PrometheusEndpoint[];
  readonly warn: Warn;
  /** Where the exported signals go, for warnings. */
  readonly endpoint: string;
}

let running: Running | undefined;

const recording = (): boolean => trace.getActiveSpan()?.isRecording() === true;

const env = (name: string): string | undefined => process.env[name]?.trim() || undefined;

const METRIC_EXPORTERS: Record<Protocol, () => PushMetricExporter> = {
  'http/protobuf': () => new ProtobufMetricExporter(),
  'http/json': () => new JsonMetricExporter(),
  grpc: () => new GrpcMetricExporter(),
};

/**
 * Metric readers, chosen here rather than by the SDK: NodeSDK takes either the readers it builds
 * from OTEL_METRICS_EXPORTER or the ones it is given, never both, and the METRICS_PORT endpoint must
 * sit beside the standard ones. The choice follows the SDK's: otlp by OTEL_EXPORTER_OTLP_(METRICS_)PROTOCOL,
 * console, and prometheus on OTEL_EXPORTER_PROMETHEUS_HOST/PORT (served as METRICS_PORT is).
 */
function metricReaders(metrics: SignalExport, prometheus: readonly PrometheusEndpoint[]): IMetricReader[] {
  // The SDK reads these two only for readers it builds itself.
  const exportIntervalMillis = Number(env('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000);
  const exportTimeoutMillis = Math.min(Number(env('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000), exportIntervalMillis);
  const periodic = (exporter: PushMetricExporter) =>
    new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis });
  return [
    ...metrics.exporters.flatMap((name) =>
      name === 'otlp'
        ? [periodic(METRIC_EXPORTERS[metrics.protocol]())]
        : name === 'console'
          ? [periodic(new ConsoleMetricExporter())]
          : [],
    ),
    ...prometheus.map((endpoint) => endpoint.reader),
  ];
}

/** Where the OTLP signals go, for warnings: `http://collector:4318 (traces, metrics, logs; http/protobuf)`. */
function otlpEndpoints(exports: Record<Signal, SignalExport>): string {
  const groups = new Map<string, Signal[]>();
  for (const signal of SIGNALS) {
    const { exporters, endpoint, protocol } = exports[signal];
    if (!exporters.includes('otlp')) continue;
    const where = `${endpoint.replace(`/v1/${signal}`, '')} (%s; ${protocol})`;
    groups.set(where, [...(groups.get(where) ?? []), signal]);
  }
  return [...groups].map(([where, signals]) => where.replace('%s', signals.join(', '))).join(', ');
}

const stderrWarn: Warn = (message, fields) =>
  process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...fields })}\n`);

/**
 * Starts the OpenTelemetry SDK once per process. Traces and logs are exported as the standard
 * OTEL_* variables say, by the SDK itself; metrics by the same rules (see metricReaders). Without
 * an exporter named or an OTLP endpoint set, nothing is exported and nothing retried, yet spans still
 * exist, so trace ids reach the logs and the trace context travels through job data.
 */
export function startTelemetry(options: TelemetryOptions = {}): void {
  if (running !== undefined || env('OTEL_SDK_DISABLED') === 'true') return;
  const exports = signalExports(process.env);
  const prometheus = [
    ...(options.metricsPort
      ? [prometheusEndpoint(options.metricsHost ?? '127.0.0.1', options.metricsPort, 'METRICS_PORT')]
      : []),
    ...(exports.metrics.exporters.includes('prometheus')
      ? [
          prometheusEndpoint(
            env('OTEL_EXPORTER_PROMETHEUS_HOST') ?? 'localhost',
            Number(env('OTEL_EXPORTER_PROMETHEUS_PORT') ?? 9464),
            'OTEL_EXPORTER_PROMETHEUS_PORT',
          ),
        ]
      : []),
  ];
  const exportLogs = exports.logs.exporters.length > 0;
  const sdk = new NodeSDK({
    serviceName: env('OTEL_SERVICE_NAME') ?? options.serviceName ?? 'ordermanagement',
    // Undefined leaves the choice to the SDK (OTEL_TRACES_EXPORTER, its protocol and endpoint). A
    // tracer provider without an exporter keeps trace ids for the logs and the job data.
    spanProcessors:
      options.spanProcessors ?? (exports.traces.exporters.length > 0 ? undefined : [new NoopSpanProcessor()]),
    // Traces that go nowhere are not recorded either (unless OTEL_TRACES_SAMPLER asks): their spans
    // would cost CPU on every order and request for nothing. Their ids still reach logs and job data.
    ...(options.spanProcessors === undefined &&
    exports.traces.exporters.length === 0 &&
    env('OTEL_TRACES_SAMPLER') === undefined
      ? { sampler: new AlwaysOffSampler() }
      : {}),
    metricReaders: options.metricReaders ?? metricReaders(exports.metrics, prometheus),
    logRecordProcessors: exportLogs ? undefined : ([] as LogRecordProcessor[]),
    instrumentations: [
      // Production samples, so most requests belong to traces that record nothing: an HTTP request
      // outside a recording span is left alone (no span, no duration histogram), and a Redis
      // command's statement is only composed for a span that keeps it.
      new UndiciInstrumentation({ ignoreRequestHook: () => !recording() }),
      new IORedisInstrumentation({
        dbStatementSerializer: (command, args) => (recording() ? redisStatement(command, args) : ''),
        requireParentSpan: true,
      }),
    ],
  });
  const warn = options.warn ?? stderrWarn;
  const endpoint = otlpEndpoints(exports) || 'console';
  reportTroubles(warn, endpoint);
  sdk.start();
  if (exportLogs) {
    // @opentelemetry/winston-transport reads the logs API global of @opentelemetry/api-logs, while the
    // SDK registers its provider on @opentelemetry/api's: hand the same provider to both. The two
    // packages declare the same interface separately, hence the cast.
    bridgedLogs.setGlobalLoggerProvider(logs.getLoggerProvider() as unknown as BridgedLoggerProvider);
  }
  setLogExport(exportLogs);
  running = { sdk, prometheus, warn, endpoint };
}

/**
 * Serves the Prometheus endpoints telemetry was started with (METRICS_PORT, and OTEL_METRICS_EXPORTER
 * prometheus). Long-lived roles call it before they take work, so a port in use stops them at once;
 * one-shot commands never listen.
 */
export async function serveMetrics(): Promise<Listening[]> {
  const served: Listening[] = [];
  try {
    for (const endpoint of running?.prometheus ?? []) served.push(await servePrometheus(endpoint));
  } catch (error) {
    await Promise.all(served.map((listening) => listening.close()));
    throw error;
  }
  return served;
}

/**
 * Flushes and stops the SDK on shutdown, for at most `timeoutMs`: whatever the collector does
 * (refuses, stalls, cannot be resolved) the process goes on to exit. What could not be delivered is
 * one warning; the export failures of the flush itself are not warned about one by one.
 */
export async function shutdownTelemetry(timeoutMs: number = FLUSH_TIMEOUT_MS): Promise<void> {
  const current = running;
  running = undefined;
  if (current === undefined) return;
  const troubles = gatherTroubles();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    current.sdk.shutdown().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    ),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`not done within ${timeoutMs} ms`), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const problems = [...troubles(), ...(outcome === undefined ? [] : [outcome])];
  if (problems.length > 0) {
    current.warn('telemetry flush failed; exiting without the last traces, metrics and logs', {
      endpoint: current.endpoint,
      problem: problems.at(-1),
    });
  }
}
