/**
 * Every error this project throws on purpose, in one place. Each has a fixed `code` to match on
 * (never the message) and says whether another attempt of the job may help. How an upstream's
 * answer or a network error becomes one of them is decided in `domain/failure.ts`.
 */
export const ErrorCode = {
  /** Bad configuration: every bad variable named (exit 78). */
  Config: 'CONFIG_INVALID',
  /** A command line that cannot be run as typed (exit 64). */
  Usage: 'USAGE',
  /** Cannot start: Redis unreachable, a port in use (exit 1, one line naming the variable). */
  Startup: 'STARTUP_FAILED',
  /** Data that breaks its contract: an order, a list element, a job's data. */
  InvalidPayload: 'INVALID_PAYLOAD',
  /** A request body above the servers' limit (413). */
  BodyTooLarge: 'BODY_TOO_LARGE',
  /** The Order or Stock API failed in a way worth another attempt: network, timeout, 408, 429, 5xx. */
  UpstreamTransient: 'UPSTREAM_TRANSIENT',
  /** The Order or Stock API refused in a way another attempt cannot change: other 4xx, a broken body. */
  UpstreamPermanent: 'UPSTREAM_PERMANENT',
  /** 404 Order not found on GET or PUT /orders/<id>. */
  OrderNotFound: 'ORDER_NOT_FOUND',
  /** The ERROR_RATE failure, drawn before any I/O. */
  SimulatedFailure: 'SIMULATED_FAILURE',
  /** Waited STOCK_LOCK_WAIT_MS for a wood type's lock. */
  StockLockTimeout: 'STOCK_LOCK_TIMEOUT',
  /** The worker is shutting down before the decrease was sent. */
  ShuttingDown: 'SHUTTING_DOWN',
  /** The order's decrease is in doubt and not resolved yet. */
  DecreaseInDoubt: 'DECREASE_IN_DOUBT',
  /** The order waits behind another decrease of its wood type that could not be resolved yet. */
  WoodTypeStalled: 'WOOD_TYPE_STALLED',
  /** Whether the decrease happened cannot be told from the Stock API: a person must say. */
  DecreaseNeedsPerson: 'DECREASE_NEEDS_PERSON',
  /** A request that never left this process: its deadline passed, the process stalled, or its caller gave up. */
  NotSent: 'NOT_SENT',
  /** Redis lost the decrease ledger: no stock is taken until a person accepts the loss. */
  LedgerLost: 'LEDGER_LOST',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export abstract class ProjectError extends Error {
  abstract readonly code: ErrorCode;
  /** Whether another attempt of the job may help. */
  get retryable(): boolean {
    return false;
  }
}

/** An error of this project's own that another attempt of the job may clear. */
export abstract class RetryableError extends ProjectError {
  override get retryable(): boolean {
    return true;
  }
}

export class ConfigError extends ProjectError {
  override readonly name = 'ConfigError';
  readonly code = ErrorCode.Config;
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** The CLI prints it with the command's usage. */
export class UsageError extends ProjectError {
  override readonly name = 'UsageError';
  readonly code = ErrorCode.Usage;
}

/** Stops a command before it does its work; the CLI prints the message without a stack. */
export class StartupError extends ProjectError {
  override readonly name = 'StartupError';
  readonly code = ErrorCode.Startup;
}

export class InvalidPayloadError extends ProjectError {
  override readonly name = 'InvalidPayloadError';
  readonly code = ErrorCode.InvalidPayload;
}

export class BodyTooLarge extends ProjectError {
  override readonly name = 'BodyTooLarge';
  readonly code = ErrorCode.BodyTooLarge;
}

/** How an upstream failed; decides what the worker does (see `domain/failure.ts`). */
export type FailureKind = 'transient' | 'permanent' | 'order-not-found';

const UPSTREAM_CODES = {
  transient: ErrorCode.UpstreamTransient,
  permanent: ErrorCode.UpstreamPermanent,
  'order-not-found': ErrorCode.OrderNotFound,
} as const satisfies Record<FailureKind, ErrorCode>;

export class UpstreamError extends ProjectError {
  override readonly name = 'UpstreamError';
  readonly kind: FailureKind;
  readonly statusCode: number | undefined;
  /**
   * No answer came, yet the request may have reached the upstream (a timeout or reset after it was
   * sent): whether it took effect is unknown. False for answered requests and refused connections.
   */
  readonly unanswered: boolean;
  /** A 429 or 503 asked for this long before the next try (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    kind: FailureKind,
    message: string,
    options: { statusCode?: number; cause?: unknown; unanswered?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.statusCode = options.statusCode;
    this.unanswered = options.unanswered ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  get code(): ErrorCode {
    return UPSTREAM_CODES[this.kind];
  }

  override get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** The ERROR_RATE failure: drawn before any I/O, so it never changes state and is always safe to retry. */
export class SimulatedFailure extends RetryableError {
  override readonly name = 'SimulatedFailure';
  readonly code = ErrorCode.SimulatedFailure;
  constructor(what: string) {
    super(`Simulated external API or DB failure (${what})`);
  }
}

/** Waited STOCK_LOCK_WAIT_MS for a wood type's lock. The upstream is not at fault: no backpressure. */
export class StockLockTimeout extends RetryableError {
  override readonly name = 'StockLockTimeout';
  readonly code = ErrorCode.StockLockTimeout;
}

/** The worker is shutting down: the attempt is handed back before its decrease was sent. */
export class ShuttingDown extends RetryableError {
  override readonly name = 'ShuttingDown';
  readonly code = ErrorCode.ShuttingDown;
}

/** The order's decrease is in doubt and not resolved yet: a later attempt resolves it before anything else. */
export class DecreaseInDoubt extends RetryableError {
  override readonly name = 'DecreaseInDoubt';
  readonly code = ErrorCode.DecreaseInDoubt;
}

/**
 * The order waits behind another decrease of its wood type whose answer was lost and could not be
 * resolved yet (the Stock API cannot say its level): nothing of this order was sent.
 */
export class WoodTypeStalled extends RetryableError {
  override readonly name = 'WoodTypeStalled';
  readonly code = ErrorCode.WoodTypeStalled;
}

/** Whether the order's decrease happened cannot be told from the Stock API: a person must say. */
export class DecreaseNeedsPerson extends ProjectError {
  override readonly name = 'DecreaseNeedsPerson';
  readonly code = ErrorCode.DecreaseNeedsPerson;
}

/**
 * A request that never left this process: its deadline passed while it waited for a permit or a
 * connection, or the process was stalled. The upstream cannot have seen it.
 */
export class NotSent extends RetryableError {
  override readonly name = 'NotSent';
  readonly code = ErrorCode.NotSent;
}

/**
 * Redis lost the decrease ledger (a restart without persistence, a flush): taking stock now could
 * take it twice, so nothing is sent until a person accepts the loss. Not a reason to block an order:
 * its job waits.
 */
export class LedgerLost extends ProjectError {
  override readonly name = 'LedgerLost';
  readonly code = ErrorCode.LedgerLost;
}

/** Normalises anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}
