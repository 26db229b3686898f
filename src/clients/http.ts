import { Pool } from 'undici';
import { classifyNetworkError, classifyResponse, type Endpoint, mayHaveBeenSent, UpstreamError } from '../errors.ts';

/** Larger answers are refused: a page of 10,000 orders is ~1 MB, so this is corrupt or hostile. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpOptions {
  /** Connect, headers and between-chunks timeout, in ms. */
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
}

/** A JSON-over-HTTP client for one base URL: keep-alive pool, timeouts, typed failures. */
export class JsonHttpClient {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #name: string;

  constructor(name: string, baseUrl: string, options: HttpOptions) {
    const url = new URL(baseUrl);
    this.#name = name;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
  }

  /** Sends the request and returns the parsed JSON body of a 2xx answer; anything else throws UpstreamError. */
  async request(req: JsonRequest): Promise<unknown> {
    const what = `${this.#name} ${req.method} ${req.path}`;
    const search = req.query
      ? `?${new URLSearchParams(Object.entries(req.query).map(([k, v]): [string, string] => [k, String(v)]))}`
      : '';
    let statusCode: number;
    let text: string;
    try {
      const response = await this.#pool.request({
        method: req.method,
        path: `${this.#basePath}${req.path}${search}`,
        headers: {
          accept: 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
      statusCode = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const kind = code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'permanent' : classifyNetworkError(error);
      throw new UpstreamError(kind, `${what} failed: ${(error as Error).message}${code ? ` (${code})` : ''}`, {
        cause: error,
        unanswered: mayHaveBeenSent(error),
        ...(req.endpoint ? { endpoint: req.endpoint } : {}),
      });
    }
    const body = parseJson(text);
    if (statusCode < 200 || statusCode > 299) {
      const kind = classifyResponse(req.endpoint ?? 'other', statusCode, body.ok ? body.value : undefined);
      throw new UpstreamError(kind, `${what} answered ${statusCode}: ${snippet(text)}`, { statusCode });
    }
    if (!body.ok) {
      throw new UpstreamError(
        'permanent',
        `${what} answered ${statusCode} with a body that is not JSON: ${snippet(text)}`,
        {
          statusCode,
        },
      );
    }
    return body.value;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat || '(empty body)';
}
