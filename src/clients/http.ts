import { context, propagation, trace } from '@opentelemetry/api';
import { type Dispatcher, Pool } from 'undici';
import { classifyNetworkError, classifyResponse, type Endpoint, mayHaveBeenSent } from '../domain/failure.ts';
import { type FailureKind, NotSent, UpstreamError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Random } from '../random.ts';
import { observeLimiter, permitWait, requestDuration } from '../telemetry/metrics.ts';
import { ConcurrencyLimiter, type Priority, type Sample } from './limiter.ts';
import { stalledSince, watchForStalls } from './stall.ts';

/** Larger answers are refused: a page of 10,000 orders is ~1 MB, so this is corrupt or hostile. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpOptions {
  /** The most one request may take, from sending to the last byte of the answer, in ms. */
  readonly timeoutMs: number;
  /** Keep-alive connections to the origin: the most requests ever in flight. */
  readonly connections: number;
  /**
   * Adapt how many requests are in flight to what the upstream's answers show (see limiter.ts), up to
   * `connections`; needs `random`. Absent: as many as `connections` at once.
   */
  readonly limit?: {
    readonly random: Random;
    /** Where it says once that the upstream is at its capacity. */
    readonly logger?: Logger;
    /** The upstream's name in metrics (`order`, `stock`). */
    readonly label: string;
  };
}

export interface JsonRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly query?: Record<string, string | number>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Decides which failure kinds a status means here (see classifyResponse). */
  readonly endpoint?: Endpoint;
  /** The kind of request (`PUT /orders/:id`), for the concurrency limit: each kind has its own usual time. */
  readonly route?: string;
  /** `first` goes ahead of every waiting `normal` request. */
  readonly priority?: Priority;
  /**
   * When the request must be over, as performance.now() (default: the client's timeout after it gets
   * its permit). A request with a deadline is not sent once it has passed: checked when it is handed to
   * the socket, and it is not sent either if this process stalled since it was asked for.
   */
  readonly deadline?: number;
}

/** An answer, whatever its status. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly text: string;
  /** The parsed body, when it is JSON. */
  readonly json: { ok: true; value: unknown } | { ok: false };
  /** `<API> <method> <path>`, for messages. */
  readonly what: string;
  /** How long a 429 or 503 asked to wait before the next request (its Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** undici's own timeouts, besides the whole request's (an AbortSignal's TimeoutError). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Answers that say the upstream is overloaded rather than failing at random. */
const OVERLOADED = new Set([429, 503, 504]);

/** Per-request options the send-time check reads (undici passes unknown options through to interceptors). */
interface SendCheck {
  /** Not sent after this (performance.now()). */
  readonly sendBy?: number;
  /** Not sent if the process stalled after this. */
  readonly askedAt?: number;
  /** Set once the request is handed to a socket: an abort before then means it never left. */
  readonly handed: { value: boolean };
}

/**
 * Sees each request at the last moment: when undici hands it to a connected socket. One with a
 * deadline that waited for a connection past it, or through a stall of the process, is aborted
 * before a byte is written; every request notes that it was handed over.
 */
const sendCheck: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const { sendBy, askedAt, handed } = opts as Dispatcher.DispatchOptions & Partial<SendCheck>;
  if (handed === undefined) return dispatch(opts, handler);
  return dispatch(opts, {
    onRequestStart(controller, ctx) {
      const late = sendBy !== undefined && performance.now() > sendBy;
      if (late || (askedAt !== undefined && stalledSince(askedAt))) {
        controller.abort(
          new NotSent(late ? 'its deadline passed before it left' : 'this process stalled before it left'),
        );
        return;
      }
      handed.value = true;
      handler.onRequestStart?.(controller, ctx);
    },
    onRequestUpgrade: (...args) => handler.onRequestUpgrade?.(...args),
    onResponseStart: (...args) => handler.onResponseStart?.(...args),
    onResponseData: (...args) => handler.onResponseData?.(...args),
    onResponseEnd: (...args) => handler.onResponseEnd?.(...args),
    onResponseError: (...args) => handler.onResponseError?.(...args),
  });
};

/**
 * A trace that is not recorded still travels: a request outside a recording span gets no span of its
 * own (the undici instrumentation skips it), but a `traceparent` with the sampled flag off, so a
 * downstream service with a parent-based sampler follows the decision instead of starting its own trace.
 */
function unsampledTraceHeaders(): Record<string, string> {
  if (trace.getActiveSpan()?.isRecording() !== false) return {};
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * A JSON-over-HTTP client for one base URL: a concurrency limit in front of a keep-alive pool, a
 * deadline per request, typed failures.
 */
export class JsonHttpClient {
  readonly #pool: Dispatcher;
  readonly #basePath: string;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #limiter: ConcurrencyLimiter | undefined;
  /** The upstream's name in metrics. */
  readonly #label: string;
  readonly #stopObserving: () => void;
  /** Basic auth from the base URL's user:password, which the pool (origin only) would drop. */
  readonly #authorization: Record<string, string>;

  constructor(name: string, baseUrl: string, options: HttpOptions) {
    const url = new URL(baseUrl);
    this.#name = name;
    this.#timeoutMs = options.timeoutMs;
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    this.#authorization =
      url.username === '' && url.password === ''
        ? {}
        : { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
    }).compose(sendCheck);
    const { limit } = options;
    this.#label = limit?.label ?? name;
    this.#limiter =
      limit &&
      new ConcurrencyLimiter({
        max: options.connections,
        random: limit.random,
        onWait: (ms) => permitWait.record(ms / 1000, { upstream: limit.label }),
        onSaturated: (state) =>
          limit.logger?.info(`${name} is at its capacity: requests wait for a permit`, {
            limit: state.limit,
            inFlight: state.inFlight,
            waiting: state.queued,
            slowerThanUnloaded: Number(state.ratio.toFixed(1)),
          }),
      });
    this.#stopObserving = limit && this.#limiter ? observeLimiter(limit.label, this.#limiter) : () => {};
  }

  /**
   * Sends the request and returns its answer, whatever the status. Throws UpstreamError only when no
   * answer came (`unanswered` tells whether the request may still have reached the upstream).
   */
  async send(req: JsonRequest): Promise<HttpAnswer> {
    const what = `${this.#name} ${req.method} ${req.path}`;
    const askedAt = performance.now();
    if (req.deadline !== undefined) watchForStalls();
    const permit = await this.#limiter
      ?.acquire(req.priority ?? 'normal', req.deadline === undefined ? {} : { deadline: req.deadline })
      .catch((error: unknown) => {
        throw notSent(what, error);
      });
    let sample: Sample | undefined;
    let outcome: 'answered' | 'timeout' | 'failed' = 'failed';
    const route = req.route ?? `${req.method} ${req.path}`;
    const sentAt = performance.now();
    const handed = { value: false };
    try {
      const remaining = Math.floor((req.deadline ?? sentAt + this.#timeoutMs) - sentAt);
      if (remaining <= 0) throw new NotSent('its deadline had passed');
      const search = req.query
        ? `?${new URLSearchParams(Object.entries(req.query).map(([k, v]): [string, string] => [k, String(v)]))}`
        : '';
      const response = await this.#pool.request({
        method: req.method,
        path: `${this.#basePath}${req.path}${search}`,
        headers: {
          accept: 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.#authorization,
          ...unsampledTraceHeaders(),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        // The per-phase timeouts bound each wait; this bounds the whole request, which is what the
        // stock lock's lease and the settling of a decrease in doubt are measured against.
        signal: AbortSignal.timeout(remaining),
        ...({
          handed,
          ...(req.deadline === undefined ? {} : { sendBy: req.deadline, askedAt }),
        } satisfies SendCheck),
      });
      const text = await response.body.text();
      const { statusCode } = response;
      sample = { route, ms: performance.now() - sentAt, overload: OVERLOADED.has(statusCode) };
      outcome = 'answered';
      const retryAfterMs =
        statusCode === 429 || statusCode === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
      return { statusCode, text, json: parseJson(text), what, retryAfterMs };
    } catch (error) {
      if (error instanceof NotSent) throw notSent(what, error);
      // Aborted (its time ran out) while it still waited for a connection: the upstream never saw it.
      if (!handed.value && isAbort(error)) throw notSent(what, new NotSent('its time ran out before it left'));
      const code = (error as { code?: string }).code;
      const kind = code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'permanent' : classifyNetworkError(error);
      const timedOut = (error as Error).name === 'TimeoutError';
      if (timedOut) sample = { route, ms: performance.now() - sentAt, overload: true };
      if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) outcome = 'timeout';
      throw new UpstreamError(kind, `${what} failed: ${(error as Error).message}${code ? ` (${code})` : ''}`, {
        cause: error,
        unanswered: mayHaveBeenSent(error),
      });
    } finally {
      permit?.release(sample);
      // Every request that left, answered or not. An unnamed route is labelled by its method alone:
      // paths hold ids, which no metric label should.
      if (handed.value) {
        const seconds = (sample?.ms ?? performance.now() - sentAt) / 1000;
        requestDuration.record(seconds, { upstream: this.#label, route: req.route ?? req.method, outcome });
      }
    }
  }

  /** Sends the request and returns the parsed JSON body of a 2xx answer; anything else throws UpstreamError. */
  async request(req: JsonRequest): Promise<unknown> {
    const answer = await this.send(req);
    const { statusCode, text, json, what } = answer;
    if (statusCode < 200 || statusCode > 299)
      throw failure(answer, classifyResponse(req.endpoint ?? 'other', statusCode, json.ok ? json.value : undefined));
    if (!json.ok) {
      throw new UpstreamError(
        'permanent',
        `${what} answered ${statusCode} with a body that is not JSON: ${snippet(text)}`,
        {
          statusCode,
        },
      );
    }
    return json.value;
  }

  /** Requests waiting for a permit now: this upstream is what the work waits for. */
  get waiting(): number {
    return this.#limiter?.queued ?? 0;
  }

  /** Requests allowed in flight now (the adaptive limit). */
  get limit(): number {
    return this.#limiter?.limit ?? Number.POSITIVE_INFINITY;
  }

  close(): Promise<void> {
    this.#stopObserving();
    return this.#pool.close();
  }
}

const isAbort = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/** A request that never left: the upstream cannot have seen it, so nothing can be in doubt. */
function notSent(what: string, error: unknown): UpstreamError {
  const reason = error instanceof Error ? error.message : String(error);
  return new UpstreamError('transient', `${what} not sent: ${reason}`, { cause: error, unanswered: false });
}

/** The failure an answer means, with what it said and when it asked to be asked again. */
export function failure(answer: HttpAnswer, kind: FailureKind): UpstreamError {
  return new UpstreamError(kind, `${answer.what} answered ${answer.statusCode}: ${snippet(answer.text)}`, {
    statusCode: answer.statusCode,
    ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A body shortened to one line, for messages. */
export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat || '(empty body)';
}
