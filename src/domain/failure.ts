import { type FailureKind, ProjectError, UpstreamError } from '../errors.ts';
import { errorText } from './order.ts';

/**
 * Pure decisions about failures: what an upstream's answer or a network error means, whether it may
 * have taken effect, whether another attempt may help, and whether it says the upstream is unwell.
 * The Stock API's business answers (insufficient stock, no stock row) are outcomes, not failures:
 * see `classifyDecreaseAnswer`.
 */

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
function networkCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  if ('name' in error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return error.name;
  return 'code' in error ? String(error.code) : '';
}

/** Classifies an error thrown before any answer arrived (the request never completed). */
export function classifyNetworkError(error: unknown): FailureKind {
  const code = networkCode(error);
  return NOT_SENT_CODES.has(code) || MAYBE_SENT_CODES.has(code) ? 'transient' : 'permanent';
}

/** Whether a request that got no answer may still have taken effect upstream. */
export function mayHaveBeenSent(error: unknown): boolean {
  return !NOT_SENT_CODES.has(networkCode(error));
}

/** Whether another attempt of a job may help. A Redis error reply (LOADING after a restart, say) passes. */
export const isRetryable = (error: Error): boolean =>
  error instanceof ProjectError ? error.retryable : error.name === 'ReplyError';

/**
 * What an attempt's failure says about the upstream, for backpressure: only an upstream that failed
 * in a way worth retrying counts. A stock-lock timeout, a shutdown or a doubt are this project's own
 * waits, and a 4xx is an answer: counting them would throttle cycles while the upstream is fine.
 */
export const upstreamFailed = (error: Error): boolean => error instanceof UpstreamError && error.kind === 'transient';
