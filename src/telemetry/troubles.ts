import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';

/** At most one warning about failing exports per this period; the ones held back are counted in the next. */
export const WARN_EVERY_MS = 60_000;

/** Whether a repeated trouble is warned about now. A plain decision: its clock is given. */
export class RateLimit {
  readonly #everyMs: number;
  readonly #now: () => number;
  #last = Number.NEGATIVE_INFINITY;
  #held = 0;

  constructor(everyMs: number, now: () => number = () => performance.now()) {
    this.#everyMs = everyMs;
    this.#now = now;
  }

  /** Undefined when this one is held back; otherwise how many were held back since the last warning. */
  take(): number | undefined {
    const now = this.#now();
    if (now - this.#last < this.#everyMs) {
      this.#held += 1;
      return undefined;
    }
    const held = this.#held;
    this.#held = 0;
    this.#last = now;
    return held;
  }
}

export type Warn = (message: string, fields: Record<string, unknown>) => void;

const describe = (problem: unknown): string => {
  if (!(problem instanceof Error)) return typeof problem === 'string' ? problem : JSON.stringify(problem);
  const code = 'code' in problem && problem.code !== undefined ? ` (${String(problem.code)})` : '';
  return `${problem.message || problem.name}${code}`;
};

let gathered: string[] | undefined;

/**
 * Routes what the SDK reports about failing exports (its global error handler and diagnostic errors,
 * both silent by default) to `warn`, at most once per WARN_EVERY_MS, naming where the telemetry
 * goes: without this, an unreachable collector is silent. Its diagnostic warnings stay its own,
 * shown with OTEL_LOG_LEVEL, which also hands its errors back to its console logger.
 */
export function reportTroubles(warn: Warn, endpoint: string): void {
  const limit = new RateLimit(WARN_EVERY_MS);
  const report = (problem: string) => {
    if (gathered !== undefined) {
      gathered.push(problem);
      return;
    }
    const held = limit.take();
    if (held === undefined) return;
    warn('telemetry cannot be exported', {
      endpoint,
      problem,
      ...(held > 0 ? { heldBack: held } : {}),
      nextWarningInSeconds: WARN_EVERY_MS / 1000,
    });
  };
  setGlobalErrorHandler((error) => report(describe(error)));
  if (process.env.OTEL_LOG_LEVEL?.trim()) return;
  const toReport = (message: string, ...args: unknown[]) => report([message, ...args.map(describe)].join(' '));
  const logger: DiagLogger = { error: toReport, warn() {}, info() {}, debug() {}, verbose() {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });
}

/**
 * From now on troubles are gathered rather than warned about, for the final flush to report them
 * in one warning; returns what was gathered so far.
 */
export function gatherTroubles(): () => readonly string[] {
  gathered = [];
  return () => gathered ?? [];
}
