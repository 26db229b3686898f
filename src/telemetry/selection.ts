/**
 * What the standard OTEL_* variables ask each signal to be exported with. The SDK reads them itself
 * (traces and logs; see sdk.ts for metrics); here they are checked once at start, so a misspelt
 * protocol stops the process with exit 78 instead of a warning and a fallback nobody reads, and the
 * project's one departure from the SDK's defaults is decided: with no exporter named and no OTLP
 * endpoint set, a signal is exported nowhere (the SDK would post to localhost, retry, and warn).
 */
export type Signal = 'traces' | 'metrics' | 'logs';
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The exporters each signal can have (`none` alone turns the signal off). */
export const EXPORTERS = {
  traces: ['otlp', 'console', 'none'],
  metrics: ['otlp', 'prometheus', 'console', 'none'],
  logs: ['otlp', 'console', 'none'],
} as const satisfies Record<Signal, readonly string[]>;

export interface SignalExport {
  /** The exporters in use; empty when the signal is exported nowhere. */
  readonly exporters: readonly string[];
  readonly protocol: Protocol;
  /** Where OTLP goes, as the exporter will post it (for messages about failed exports). */
  readonly endpoint: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const upper = (signal: Signal) => signal.toUpperCase();
const text = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** Comma-separated, as the SDK splits them. */
const list = (value: string): string[] =>
  value
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word !== '');

/** The variable that set the signal's endpoint, if any: its own, else the shared one. */
function endpointVariable(env: Env, signal: Signal): string | undefined {
  return [`OTEL_EXPORTER_OTLP_${upper(signal)}_ENDPOINT`, 'OTEL_EXPORTER_OTLP_ENDPOINT'].find((name) =>
    text(env, name),
  );
}

/** OTEL_<SIGNAL>_EXPORTER as valid words; undefined when it is unset. */
const exporterNames = (env: Env, signal: Signal): string[] | undefined => {
  const value = text(env, `OTEL_${upper(signal)}_EXPORTER`);
  return value === undefined ? undefined : list(value);
};

const protocolOf = (env: Env, signal: Signal): Protocol =>
  (text(env, `OTEL_EXPORTER_OTLP_${upper(signal)}_PROTOCOL`) ??
    text(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf') as Protocol;

/** The URL an OTLP exporter posts to, by the specification's rules (a signal's own endpoint is used as given). */
function endpointOf(env: Env, signal: Signal, protocol: Protocol): string {
  const own = text(env, `OTEL_EXPORTER_OTLP_${upper(signal)}_ENDPOINT`);
  if (own !== undefined) return own;
  const shared = text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (protocol === 'grpc') return shared ?? 'http://localhost:4317';
  return `${(shared ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/${signal}`;
}

/** How each signal is exported. Assumes `otelProblems(env)` found nothing. */
export function signalExports(env: Env): Record<Signal, SignalExport> {
  const entries = SIGNALS.map((signal): [Signal, SignalExport] => {
    const named = exporterNames(env, signal) ?? (endpointVariable(env, signal) ? ['otlp'] : []);
    const protocol = protocolOf(env, signal);
    return [
      signal,
      {
        exporters: named.includes('none') ? [] : named,
        protocol,
        endpoint: endpointOf(env, signal, protocol),
      },
    ];
  });
  return Object.fromEntries(entries) as Record<Signal, SignalExport>;
}

function urlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must start with http:// or https://';
  } catch {
    return 'is not a URL';
  }
}

const wholePositive = (value: string) => /^\d+$/.test(value) && Number(value) > 0;

/** What is wrong with the OTEL_* variables this project and the SDK act on, each named. */
export function otelProblems(env: Env): string[] {
  const problems: string[] = [];
  const got = (name: string) => `(got ${JSON.stringify(env[name])})`;
  for (const signal of SIGNALS) {
    const variable = `OTEL_${upper(signal)}_EXPORTER`;
    const names = exporterNames(env, signal);
    const allowed: readonly string[] = EXPORTERS[signal];
    if (names?.some((name) => !allowed.includes(name))) {
      problems.push(
        `${variable}: must be ${allowed.join(', ')}, or several of them separated by commas ${got(variable)}`,
      );
    } else if (names?.includes('none') && names.length > 1) {
      problems.push(`${variable}: none turns the signal off and goes alone ${got(variable)}`);
    }
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    ...SIGNALS.map((s) => `OTEL_EXPORTER_OTLP_${upper(s)}_PROTOCOL`),
  ]) {
    const value = text(env, name);
    if (value !== undefined && !(PROTOCOLS as readonly string[]).includes(value)) {
      problems.push(`${name}: must be one of ${PROTOCOLS.join(', ')} ${got(name)}`);
    }
  }
  for (const name of [
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    ...SIGNALS.map((s) => `OTEL_EXPORTER_OTLP_${upper(s)}_ENDPOINT`),
  ]) {
    const value = text(env, name);
    const problem = value === undefined ? undefined : urlProblem(value);
    if (problem) problems.push(`${name}: ${problem} ${got(name)}`);
  }
  for (const name of ['OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_METRIC_EXPORT_TIMEOUT']) {
    const value = text(env, name);
    if (value !== undefined && !wholePositive(value))
      problems.push(`${name}: must be a whole number of ms above 0 ${got(name)}`);
  }
  const metricsPort = text(env, 'METRICS_PORT');
  if (text(env, 'OTEL_SDK_DISABLED') === 'true' && metricsPort !== undefined && metricsPort !== '0') {
    problems.push(
      `METRICS_PORT: serves the SDK's metrics, which OTEL_SDK_DISABLED=true turns off ${got('METRICS_PORT')}`,
    );
  }
  const port = text(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  if (port !== undefined && !(wholePositive(port) && Number(port) <= 65_535)) {
    problems.push(
      `OTEL_EXPORTER_PROMETHEUS_PORT: must be a port number, 1 to 65535 ${got('OTEL_EXPORTER_PROMETHEUS_PORT')}`,
    );
  }
  return problems;
}
