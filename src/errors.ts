/**
 * One taxonomy for everything that can go wrong talking to the Order and Stock APIs.
 * `kind` decides what the worker does; it is computed in one place, `classifyResponse`.
 */
export type FailureKind =
  /** Worth another attempt: network, timeout, 408, 429, 5xx, simulated failures. */
  | 'transient'
  /** Retrying cannot help: other 4xx, a body that breaks the contract. */
  | 'permanent'
  /** POST /stocks/decrease answered 400 Insufficient stock: a business outcome. */
  | 'insufficient-stock'
  /** POST /stocks/decrease answered 404 Stock not found: a business outcome. */
  | 'stock-not-found'
  /** The order itself does not exist (404 on /orders/<id>). */
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
  /** The request that failed, when known. */
  readonly endpoint: Endpoint | undefined;
  constructor(
    kind: FailureKind,
    message: string,
    options: { statusCode?: number; cause?: unknown; unanswered?: boolean; endpoint?: Endpoint } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.statusCode = options.statusCode;
    this.unanswered = options.unanswered ?? false;
    this.endpoint = options.endpoint;
  }

  /** A stock decrease that got no answer: stock may or may not have been taken. */
  get mayHaveDecreased(): boolean {
    return this.endpoint === 'decrease-stock' && this.unanswered;
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
export type Endpoint = 'decrease-stock' | 'get-order' | 'other';

function errorText(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string'
    ? body.error
    : undefined;
}

/**
 * Maps a non-2xx answer to a failure kind. Business answers are recognised only by status and the
 * contract's exact error text; anything else of that status is treated like any other 4xx.
 */
export function classifyResponse(endpoint: Endpoint, statusCode: number, body: unknown): FailureKind {
  const text = errorText(body);
  if (endpoint === 'decrease-stock') {
    if (statusCode === 400 && text === 'Insufficient stock') return 'insufficient-stock';
    if (statusCode === 404 && text === 'Stock not found') return 'stock-not-found';
  }
  if (endpoint === 'get-order' && statusCode === 404 && text === 'Order not found') return 'order-not-found';
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
]);

const errorCode = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';

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
