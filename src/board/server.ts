import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OrderApi } from '../clients/order-api.ts';
import { healthHandler, type ReadinessCheck } from '../health.ts';
import { type Listening, listen, MAX_BODY_BYTES } from '../listen.ts';
import type { Logger } from '../logger.ts';
import type { Queues } from '../queue/queues.ts';
import type { Ledger } from '../stock/ledger.ts';
import { type Credentials, isAuthorized } from './auth.ts';
import { createBullBoardListener } from './bull-board.ts';
import { type JsonAnswer, replayRoute, searchRoute } from './order-api-routes.ts';

export interface BoardOptions {
  readonly queues: Queues;
  readonly ledger: Ledger;
  readonly orderApi: OrderApi;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  readonly basePath: string;
  readonly readOnly: boolean;
  readonly credentials: Credentials;
  readonly readinessChecks: Record<string, ReadinessCheck>;
}

function send(res: ServerResponse, { status, body }: JsonAnswer): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Bull Board reads request bodies (job data edits) without a limit of its own: refuse large ones,
 * and bodies of unannounced length, before they are read.
 */
function requestBodyProblem(req: IncomingMessage): JsonAnswer | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const length = req.headers['content-length'];
  if (length === undefined) {
    return req.headers['transfer-encoding'] ? { status: 411, body: { error: 'Content-Length required' } } : undefined;
  }
  return Number(length) > MAX_BODY_BYTES ? { status: 413, body: { error: 'request body too large' } } : undefined;
}

const REDIS_DOWN = 'Redis is unreachable (REDIS_URL): the board cannot read the queues until it is back.';

/** 503 in a second: a JSON error for the API, a page that says so (and looks again) for a browser. */
function redisDown(res: ServerResponse, api: boolean): void {
  if (api) {
    send(res, { status: 503, body: { error: REDIS_DOWN } });
    return;
  }
  const html =
    '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>ordermanagement: Redis unreachable</title>' +
    `<h1>Redis unreachable</h1><p>${REDIS_DOWN}</p><p>This page looks again every 5 seconds.</p>`;
  res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '5' });
  res.end(html);
}

/**
 * One server: /livez and /readyz (open, for probes), then basic auth in front of everything else:
 * Bull Board under the base path, and the replay and search API beside it.
 */
export async function startBoard(options: BoardOptions): Promise<Listening> {
  const base = options.basePath === '/' ? '' : options.basePath;
  const board = createBullBoardListener(options.queues, options.basePath, options.readOnly);
  const health = healthHandler(() => options.readinessChecks);
  const deps = {
    orderApi: options.orderApi,
    queues: options.queues,
    ledger: options.ledger,
    basePath: options.basePath,
    readOnly: options.readOnly,
  };
  const replayPath = new RegExp(`^${base}/api/orders/([^/]+)/replay$`);
  const searchPath = new RegExp(`^${base}/api/orders/([^/]+)/jobs$`);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://board');
    const path = url.pathname;
    const probe = req.method === 'GET' ? await health(path) : undefined;
    if (probe) return send(res, probe);
    if (!isAuthorized(req.headers.authorization, options.credentials)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="ordermanagement", charset="UTF-8"' });
      return void res.end('authentication required');
    }
    const bodyProblem = requestBodyProblem(req);
    if (bodyProblem) return send(res, bodyProblem);
    // Every page and API call below reads Redis: while it is unreachable, say so at once rather than
    // leave the page on "Loading…" for as long as the commands queue up.
    if (options.queues.redis.status !== 'ready') return redisDown(res, path.startsWith(`${base}/api/`));
    const replay = replayPath.exec(path);
    if (replay) {
      if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'use POST' } });
      return send(
        res,
        await replayRoute(deps, decodeURIComponent(replay[1] as string), url.searchParams.get('assume')),
      );
    }
    const search = searchPath.exec(path);
    if (search) return send(res, await searchRoute(deps, decodeURIComponent(search[1] as string)));
    if (base !== '' && !path.startsWith(base)) {
      res.writeHead(302, { location: `${base}` });
      return void res.end();
    }
    // Bull Board's router answers its root without the trailing slash only.
    if (base !== '' && path === `${base}/`) req.url = base;
    await board(req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger.error('board request failed', { err, path: req.url });
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
      else res.destroy();
    });
  });
  const listening = await listen(server, options.host, options.port, 'BOARD_PORT');
  return { url: `${listening.url}${base}`, close: listening.close };
}
