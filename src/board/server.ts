import { createAdaptorServer } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OrderApi } from '../clients/order-api.ts';
import { healthHandler, type ReadinessCheck } from '../health.ts';
import { type Listening, listen, MAX_BODY_BYTES } from '../listen.ts';
import type { Logger } from '../logger.ts';
import type { Queues } from '../queue/queues.ts';
import type { ReplayRetries } from '../queue/replay.ts';
import type { Ledger } from '../stock/ledger.ts';
import { type Credentials, requireCredentials } from './auth.ts';
import { createBullBoardApp } from './bull-board.ts';
import { refuseCrossSite } from './cross-site.ts';
import { CONTENT_SECURITY_POLICY } from './offline.ts';
import { orderApiRoutes } from './order-api-routes.ts';
import { orderPages } from './order-pages.ts';

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
  /** How replays and answers are tried again on transient Order API failures (RETRY_ATTEMPTS, RETRY_BACKOFF_*). */
  readonly retries: ReplayRetries;
}

const REDIS_DOWN = 'Redis is unreachable (REDIS_URL): the board cannot read the queues until it is back.';

/**
 * Every page and API call reads Redis: while it is unreachable, say so in a second (a JSON error for
 * the API, a page that looks again for a browser) rather than leave the page on "Loading…" while
 * the commands queue up.
 */
function whileRedisDown(queues: Queues, apiPrefix: string): MiddlewareHandler {
  return async (c, next) => {
    if (queues.redis.status === 'ready') return next();
    if (c.req.path.startsWith(apiPrefix)) return c.json({ error: REDIS_DOWN }, 503);
    c.header('retry-after', '5');
    return c.html(
      '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>ordermanagement: Redis unreachable</title>' +
        `<h1>Redis unreachable</h1><p>${REDIS_DOWN}</p><p>This page looks again every 5 seconds.</p>`,
      503,
    );
  };
}

/**
 * The board's routes on one Hono app: /livez and /readyz (open, for probes), then, behind basic
 * auth, a same-site check and a body limit: the replay and search API, the order pages and Bull
 * Board under the base path. Every answer carries a Content-Security-Policy that allows only the
 * board's own origin.
 */
function createBoardApp(options: Omit<BoardOptions, 'host' | 'port'>): Hono {
  const base = options.basePath === '/' ? '' : options.basePath;
  const deps = {
    orderApi: options.orderApi,
    queues: options.queues,
    ledger: options.ledger,
    basePath: options.basePath,
    readOnly: options.readOnly,
    retries: options.retries,
  };
  const health = healthHandler(() => options.readinessChecks);
  const app = new Hono();
  app.use(
    secureHeaders({
      contentSecurityPolicy: CONTENT_SECURITY_POLICY,
      // Whether the board is reached over TLS is the proxy's business, not a promise to make here.
      strictTransportSecurity: false,
    }),
  );
  for (const path of ['/livez', '/readyz']) {
    app.get(path, async (c) => {
      const answer = await health(path);
      return c.json(answer?.body ?? {}, (answer?.status ?? 404) as ContentfulStatusCode);
    });
  }
  app.use(requireCredentials(options.credentials));
  app.use(refuseCrossSite());
  // Bull Board reads request bodies (job data edits) without a limit of its own.
  app.use(bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'request body too large' }, 413) }));
  app.use(whileRedisDown(options.queues, `${base}/api/`));
  app.route(base, orderApiRoutes(deps));
  app.route(base, orderPages(deps));
  app.route(base === '' ? '/' : base, createBullBoardApp(options.queues, options.basePath, options.readOnly));
  // Bull Board answers its root without the trailing slash only; elsewhere outside the base path, go to it.
  if (base !== '') app.get(`${base}/`, (c) => c.redirect(base));
  app.notFound((c) =>
    base !== '' && !c.req.path.startsWith(base) ? c.redirect(base) : c.json({ error: 'not found' }, 404),
  );
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    options.logger.error('board request failed', { err: error, path: c.req.path });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

export async function startBoard(options: BoardOptions): Promise<Listening> {
  // Without serverOptions for HTTP/2 the adaptor makes a node:http server; its type is the union.
  const server = createAdaptorServer({ fetch: createBoardApp(options).fetch }) as Parameters<typeof listen>[0];
  const listening = await listen(server, options.host, options.port, 'BOARD_PORT');
  const base = options.basePath === '/' ? '' : options.basePath;
  return { url: `${listening.url}${base}`, close: listening.close };
}
