import { errorText } from './domain/order.ts';

/**
 * One taxonomy for everything that can go wrong talking to the Order and Stock APIs.
 * `kind` decides what the worker does; it is computed in one place, `classifyResponse`.
 * The Stock API's business answers (insufficient stock, no stock row) are outcomes, not failures:
 * see `classifyDecreaseAnswer`.
 */
export type FailureKind =
  /** Worth another attempt: network, timeout, 408, 429, 5xx, simulated failures. */
  | 'transient'
  /** Retrying cannot help: other 4xx, a body that breaks the contract. */
  | 'permanent'
  /** The order itself does not exist (404 Order not found on GET or PUT /orders/<id>). */
  | 'order-not-found';

export class UpstreamError extends Error {
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

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** The ERROR_RATE failure: drawn before any I/O, so it never changes state and is always safe to retry. */
export class SimulatedFailure extends Error {
  override readonly name = 'SimulatedFailure';
  constructor(what: string) {
    super(`Simulated external API or DB failure (${what})`);
  }
}

/** Which request answered, for classification: some statuses mean different things per endpoint. */
export type Endpoint = 'order' | 'other';

/**
 * Maps a non-2xx answer to a failure kind. Business answers are recognised only by status and the
 * contract's exact error text; anything else of that status is treated like any other 4xx.
 */
export function classifyResponse(endpoint: Endpoint, statusCode: number, body: unknown): FailureKind {
  if (endpoint === 'order' && statusCode === 404 && errorText(body) === 'Order not found') return 'order-not-found';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'transient';
  return 'permanent';
}

/** The connection was never made: the request cannot have reached the upstream. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The connection failed, was reset or timed out after the request may have been sent. */
const MAYBE_SENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'TimeoutError',
  'AbortError',
]);

/** The error's code, or for the total request deadline (an AbortSignal), its name. */
function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  if ('name' in error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return error.name;
  return 'code' in error ? String(error.code) : '';
}

/** Classifies an error thrown before any answer arrived (the request never completed). */
export function classifyNetworkError(error: unknown): FailureKind {
  const code = errorCode(error);
  return NOT_SENT_CODES.has(code) || MAYBE_SENT_CODES.has(code) ? 'transient' : 'permanent';
}

/** Whether a request that got no answer may still have taken effect upstream. */
export function mayHaveBeenSent(error: unknown): boolean {
  return !NOT_SENT_CODES.has(errorCode(error));
}

/** Normalises anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}

/**
 * A failure of this project's own making rather than an upstream's: a fixed `code` to match on, and
 * whether another attempt of the job may help.
 */
export abstract class WorkError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
}

/** Waited STOCK_LOCK_WAIT_MS for a wood type's lock. The upstream is not at fault: no backpressure. */
export class StockLockTimeout extends WorkError {
  override readonly name = 'StockLockTimeout';
  readonly code = 'STOCK_LOCK_TIMEOUT';
  readonly retryable = true;
}

/** The worker is shutting down: the attempt is handed back before its decrease was sent. */
export class ShuttingDown extends WorkError {
  override readonly name = 'ShuttingDown';
  readonly code = 'SHUTTING_DOWN';
  readonly retryable = true;
}

/** The order's decrease is in doubt and not resolved yet: a later attempt resolves it before anything else. */
export class DecreaseInDoubt extends WorkError {
  override readonly name = 'DecreaseInDoubt';
  readonly code = 'DECREASE_IN_DOUBT';
  readonly retryable = true;
}

/**
 * The order waits behind another decrease of its wood type whose answer was lost and could not be
 * resolved yet (the Stock API cannot say its level): nothing of this order was sent.
 */
export class WoodTypeStalled extends WorkError {
  override readonly name = 'WoodTypeStalled';
  readonly code = 'WOOD_TYPE_STALLED';
  readonly retryable = true;
}

/** Whether the order's decrease happened cannot be told from the Stock API: a person must say. */
export class DecreaseNeedsPerson extends WorkError {
  override readonly name = 'DecreaseNeedsPerson';
  readonly code = 'DECREASE_NEEDS_PERSON';
  readonly retryable = false;
}

/** Whether another attempt of a job may help. A Redis error reply (LOADING after a restart, say) passes. */
export const isRetryable = (error: Error): boolean =>
  error instanceof SimulatedFailure ||
  error.name === 'ReplyError' ||
  (error instanceof UpstreamError && error.retryable) ||
  (error instanceof WorkError && error.retryable);

/**
 * Stops a command before it does its work, said in one line that names the variable to look at:
 * Redis unreachable, a port in use. The CLI prints the message without a stack and exits 1.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
