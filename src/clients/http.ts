import { Pool } from 'undici';
import { classifyNetworkError, classifyResponse, type Endpoint, mayHaveBeenSent } from '../domain/failure.ts';
import { type FailureKind, UpstreamError } from '../errors.ts';

/** Larger answers are refused: a page of 10,000 orders is ~1 MB, so this is corrupt or hostile. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpOptions {
  /** The most one request may take, from sending to the last byte of the answer, in ms. */
  readonly timeoutMs: number;
  /** Keep-alive connections to the origin. */
  readonly connections: number;
}

export interface JsonRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly query?: Record<string, string | number>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Decides which failure kinds a status means here (see classifyResponse). */
  readonly endpoint?: Endpoint;
  /**
   * When the request must be over, as performance.now() (default: the client's timeout from now). A
   * request whose deadline passed before it left is not sent at all.
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

/** A JSON-over-HTTP client for one base URL: keep-alive pool, a deadline per request, typed failures. */
export class JsonHttpClient {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #name: string;
  readonly #timeoutMs: number;
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
    });
  }

  /**
   * Sends the request and returns its answer, whatever the status. Throws UpstreamError only when no
   * answer came (`unanswered` tells whether the request may still have reached the upstream).
   */
  async send(req: JsonRequest): Promise<HttpAnswer> {
    const what = `${this.#name} ${req.method} ${req.path}`;
    const remaining = Math.floor((req.deadline ?? performance.now() + this.#timeoutMs) - performance.now());
    if (remaining <= 0) throw new UpstreamError('transient', `${what} not sent: its deadline had passed`);
    const search = req.query
      ? `?${new URLSearchParams(Object.entries(req.query).map(([k, v]): [string, string] => [k, String(v)]))}`
      : '';
    try {
      const response = await this.#pool.request({
        method: req.method,
        path: `${this.#basePath}${req.path}${search}`,
        headers: {
          accept: 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.#authorization,
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        // The per-phase timeouts bound each wait; this bounds the whole request, which is what the
        // stock lock's lease and the settling of a decrease in doubt are measured against.
        signal: AbortSignal.timeout(remaining),
      });
      const text = await response.body.text();
      const { statusCode } = response;
      const retryAfterMs =
        statusCode === 429 || statusCode === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
      return { statusCode, text, json: parseJson(text), what, retryAfterMs };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const kind = code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'permanent' : classifyNetworkError(error);
      throw new UpstreamError(kind, `${what} failed: ${(error as Error).message}${code ? ` (${code})` : ''}`, {
        cause: error,
        unanswered: mayHaveBeenSent(error),
      });
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

  close(): Promise<void> {
    return this.#pool.close();
  }
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
