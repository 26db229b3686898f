import { logs, trace } from '@opentelemetry/api';
import { type LoggerProvider as BridgedLoggerProvider, logs as bridgedLogs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { setLogExport } from './log-export.ts';
import { redisStatement } from './redis-statement.ts';

export interface TelemetryOptions {
  readonly serviceName?: string;
  /** Replaces the processors chosen from the environment (tests pass in-memory exporters). */
  readonly spanProcessors?: SpanProcessor[];
  readonly metricReaders?: IMetricReader[];
  /** Serve Prometheus text on this port (METRICS_PORT); 0 or absent: no scrape endpoint. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
}

let sdk: NodeSDK | undefined;

function positiveNumber(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

const recording = (): boolean => trace.getActiveSpan()?.isRecording() === true;

const env = (name: string): string | undefined => process.env[name]?.trim() || undefined;

/**
 * Starts the OpenTelemetry SDK once per process. Exporters are chosen here, not by the SDK's
 * defaults: with no OTLP endpoint set nothing is exported (the SDK would otherwise post to
 * localhost:4318, retry, and hold shutdown for seconds), yet spans still exist, so trace ids reach
 * the logs and the trace context still travels through job data.
 */
export function startTelemetry(options: TelemetryOptions = {}): void {
  if (sdk !== undefined || env('OTEL_SDK_DISABLED') === 'true') return;
  const tracesEndpoint = env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? env('OTEL_EXPORTER_OTLP_ENDPOINT');
  const metricsEndpoint = env('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') ?? env('OTEL_EXPORTER_OTLP_ENDPOINT');
  const spanProcessors = options.spanProcessors ?? [
    tracesEndpoint ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }) : new NoopSpanProcessor(),
  ];
  const metricReaders: IMetricReader[] = options.metricReaders ?? [
    ...(metricsEndpoint
      ? [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter(),
            // The SDK reads this variable only for readers it builds itself.
            exportIntervalMillis: positiveNumber(env('OTEL_METRIC_EXPORT_INTERVAL')) ?? 60_000,
          }),
        ]
      : []),
  ];
  const logsEndpoint = env('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT') ?? env('OTEL_EXPORTER_OTLP_ENDPOINT');
  const exportLogs = logsEndpoint !== undefined && env('OTEL_LOGS_EXPORTER') !== 'none';
  if (options.metricsPort) {
    metricReaders.push(new PrometheusExporter({ host: options.metricsHost ?? '127.0.0.1', port: options.metricsPort }));
  }
  sdk = new NodeSDK({
    serviceName: env('OTEL_SERVICE_NAME') ?? options.serviceName ?? 'ordermanagement',
    spanProcessors,
    metricReaders,
    logRecordProcessors: exportLogs ? [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })] : [],
    instrumentations: [
      // Production samples, so most requests belong to traces that record nothing: an HTTP request
      // outside a recording span is left alone (no span, no traceparent header, no duration histogram),
      // and a Redis command's statement is only composed for a span that keeps it.
      new UndiciInstrumentation({ ignoreRequestHook: () => !recording() }),
      new IORedisInstrumentation({
        dbStatementSerializer: (command, args) => (recording() ? redisStatement(command, args) : ''),
        requireParentSpan: true,
      }),
    ],
  });
  sdk.start();
  if (exportLogs) {
    // @opentelemetry/winston-transport reads the logs API global of @opentelemetry/api-logs, while the
    // SDK registers its provider on @opentelemetry/api's: hand the same provider to both. The two
    // packages declare the same interface separately, hence the cast.
    bridgedLogs.setGlobalLoggerProvider(logs.getLoggerProvider() as unknown as BridgedLoggerProvider);
  }
  setLogExport(exportLogs);
}

/** Flushes and stops the SDK: called on shutdown so the last spans and metrics are not lost. */
export async function shutdownTelemetry(): Promise<void> {
  const current = sdk;
  sdk = undefined;
  await current?.shutdown();
}
