import { isSpanContextValid, trace } from '@opentelemetry/api';
import { OpenTelemetryTransportV3 } from '@opentelemetry/winston-transport';
import winston from 'winston';
import { redactUrl } from './redact.ts';
import { logsExported } from './telemetry/log-export.ts';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Passwords inside URLs never reach a log line, whichever field they hide in. */
const redact = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (typeof value === 'string') info[key] = redactUrl(value);
  }
  return info;
});

/** Errors become plain fields: JSON.stringify would drop an Error's message and stack. */
const errorFields = winston.format((info) => {
  const { err } = info;
  if (err instanceof Error) {
    info.err = { name: err.name, message: redactUrl(err.message), ...('code' in err ? { code: err.code } : {}) };
  }
  return info;
});

/** Lines written inside a span carry its ids, so a log search leads to the trace and back. */
const traceContext = winston.format((info) => {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) {
    info.trace_id = spanContext.traceId;
    info.span_id = spanContext.spanId;
  }
  return info;
});

/** Stdout, and OTLP when the telemetry preload exports logs (OTEL_EXPORTER_OTLP_ENDPOINT set). */
function defaultTransports(): winston.transport[] {
  return [new winston.transports.Console(), ...(logsExported() ? [new OpenTelemetryTransportV3()] : [])];
}

/**
 * JSON lines on stdout. Scope a logger with `logger.child({ queue, jobId, orderId })`
 * so every line of a job carries its ids.
 */
export function createLogger(
  level: LogLevel,
  defaultMeta: Record<string, unknown> = {},
  transports: winston.transport[] = defaultTransports(),
): Logger {
  const logger = winston.createLogger({
    level,
    defaultMeta,
    format: winston.format.combine(
      traceContext(),
      errorFields(),
      redact(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports,
  });
  // winston formats every line before its transports drop the ones below the level: a worker at
  // `warn` paid for each `info` it never wrote. Child loggers inherit these no-ops.
  for (const name of LEVELS.slice(LEVELS.indexOf(level) + 1)) logger[name] = silent;
  return logger;
}

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const silent: winston.LeveledLogMethod = function (this: Logger) {
  return this;
};
