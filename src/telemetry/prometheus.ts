import { createServer } from 'node:http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type Listening, listen } from '../listen.ts';

/** Prometheus' names for UCUM units, as its own OTLP translation spells them. */
const UNITS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};
const PER: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };

/**
 * The unit suffix Prometheus gives an OpenTelemetry unit (`s` → `seconds`, `By/s` →
 * `bytes_per_second`); annotations in braces (`{order}`) and the dimensionless `1` give none, but a
 * gauge of `1` is a ratio.
 */
export function unitSuffix(unit: string, gauge: boolean): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '1') return gauge ? 'ratio' : '';
  const [main = '', per] = bare.split('/');
  const words = [UNITS[main] ?? '', per === undefined ? '' : PER[per] ? `per_${PER[per]}` : ''];
  return words.filter(Boolean).join('_');
}

/**
 * A metric's name with its unit suffix, unless the name already has it: `http.client.request.duration`
 * in seconds is scraped as `http_client_request_duration_seconds`, the name Prometheus gives it when
 * it arrives over OTLP, so one dashboard query serves both paths.
 */
export function withUnitSuffix(name: string, unit: string, gauge: boolean): string {
  const suffix = unitSuffix(unit, gauge);
  if (suffix === '') return name;
  const tokens = name.split(/[^A-Za-z0-9]+/);
  return suffix.split('_').every((word) => tokens.includes(word)) ? name : `${name}_${suffix}`;
}

const isGauge = (metric: MetricData) =>
  metric.dataPointType === DataPointType.GAUGE || (metric.dataPointType === DataPointType.SUM && !metric.isMonotonic);

function withUnits(metrics: ResourceMetrics): ResourceMetrics {
  return {
    resource: metrics.resource,
    scopeMetrics: metrics.scopeMetrics.map((scope) => ({
      scope: scope.scope,
      metrics: scope.metrics.map((metric) => ({
        ...metric,
        descriptor: {
          ...metric.descriptor,
          name: withUnitSuffix(metric.descriptor.name, metric.descriptor.unit, isGauge(metric)),
        },
      })),
    })),
  };
}

/** A Prometheus scrape endpoint: its metric reader (registered with the SDK at start) and where it listens. */
export interface PrometheusEndpoint {
  readonly reader: PrometheusExporter;
  readonly host: string;
  readonly port: number;
  /** The variable that chose the port, named when it cannot be bound. */
  readonly variable: string;
}

/** The reader of an endpoint that a role starts serving later, with serveMetrics. */
export function prometheusEndpoint(host: string, port: number, variable: string): PrometheusEndpoint {
  // The exporter's own server would fail on a busy port with a log line only, and without unit suffixes.
  return { reader: new PrometheusExporter({ preventServerStart: true }), host, port, variable };
}

/**
 * Serves `/metrics` in Prometheus text. A port in use stops the role, naming the variable, as every
 * other port of the project does.
 */
export async function servePrometheus(endpoint: PrometheusEndpoint): Promise<Listening> {
  const serializer = new PrometheusSerializer();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://metrics').pathname !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    endpoint.reader.collect().then(
      ({ resourceMetrics }) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(serializer.serialize(withUnits(resourceMetrics)));
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`# failed to collect metrics: ${String(error)}\n`);
      },
    );
  });
  return listen(server, endpoint.host, endpoint.port, endpoint.variable);
}
