import type { SettingSpec } from '../setting.ts';

/** Logs, traces and the metrics endpoint (OTLP export itself is set by the OTEL_* variables). */
export const telemetrySettings = {
  logLevel: {
    doc: 'Log level: error, warn, info, debug.',
    format: ['error', 'warn', 'info', 'debug'],
    default: 'info',
    env: 'LOG_LEVEL',
  },
  traceOrders: {
    doc: "How an order's trace relates to its cycle's: child (one trace per cycle) or link (one trace per order, linked).",
    format: ['child', 'link'],
    default: 'child',
    env: 'TRACE_ORDERS',
  },
  metricsHost: {
    doc: 'Address of the Prometheus /metrics endpoint.',
    format: 'host',
    default: '127.0.0.1',
    env: 'METRICS_HOST',
  },
  metricsPort: {
    doc: 'Port of the Prometheus /metrics endpoint; 0 turns it off.',
    format: 'port',
    default: 0,
    env: 'METRICS_PORT',
  },
} as const satisfies Record<string, SettingSpec>;
