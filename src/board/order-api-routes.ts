import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { parseOrderId } from '../domain/order.ts';
import { InvalidPayloadError, UpstreamError } from '../errors.ts';
import type { Queues } from '../queue/queues.ts';
import {
  describeReplay,
  type ReplayDeps,
  type ReplayReport,
  type ReplayRetries,
  replayOrderRetrying,
} from '../queue/replay.ts';
import type { Ledger } from '../stock/ledger.ts';
import { jobLink, type OrderViewDeps, readOrderView } from './order-view.ts';

export interface JsonAnswer {
  readonly status: ContentfulStatusCode;
  readonly body: Record<string, unknown>;
}

export interface OrderRoutesDeps extends OrderViewDeps, ReplayDeps {
  readonly queues: Pick<Queues, 'orders' | 'cycles' | 'redis'>;
  readonly ledger: Pick<Ledger, 'order' | 'settle' | 'waitingForPerson'>;
  readonly readOnly: boolean;
  /** Transient Order API failures are tried again, as the CLI does. */
  readonly retries: ReplayRetries;
}

const REPLAY_STATUS: Record<ReplayReport['result'], ContentfulStatusCode> = {
  enqueued: 202,
  retried: 202,
  'in-flight': 409,
  'not-registered': 409,
  invalid: 400,
  unknown: 404,
  uncertain: 409,
  'no-doubt': 409,
  busy: 409,
};

/**
 * A replay, or a person's answer (`assume`), over HTTP: the CLI's code path (replayOrderRetrying),
 * with a link to the job. The API and the order page's buttons both come here.
 */
export async function replayRoute(
  deps: OrderRoutesDeps,
  rawId: string,
  assume: string | undefined,
): Promise<JsonAnswer> {
  if (deps.readOnly) return { status: 405, body: { error: 'the board is read-only (BOARD_READ_ONLY)' } };
  if (assume !== undefined && assume !== 'decreased' && assume !== 'not-decreased') {
    return { status: 400, body: { error: 'assume must be decreased or not-decreased' } };
  }
  let report: ReplayReport;
  try {
    report = await replayOrderRetrying(deps, rawId, assume, deps.retries);
  } catch (error) {
    if (error instanceof UpstreamError) return { status: 502, body: { error: error.message } };
    throw error;
  }
  const link = 'jobId' in report ? { boardUrl: jobLink(deps.basePath, deps.queues.orders.name, report.jobId) } : {};
  return { status: REPLAY_STATUS[report.result], body: { ...report, ...link, message: describeReplay(report) } };
}

/**
 * An order's jobs (Bull Board cannot search), its cycle, what the decrease ledger knows of it, and
 * the Order API's record. 404 when the order has no job.
 */
export async function searchRoute(deps: OrderRoutesDeps, rawId: string): Promise<JsonAnswer> {
  let orderId: number;
  try {
    orderId = parseOrderId(rawId);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return { status: 400, body: { error: error.message } };
    throw error;
  }
  const view = await readOrderView(deps, orderId);
  if (view.jobs.length === 0) return { status: 404, body: { ...view, error: `no job for order ${orderId}` } };
  return { status: 200, body: { ...view } };
}

/** POST …/api/orders/<id>/replay[?assume=decreased|not-decreased] and GET …/api/orders/<id>/jobs. */
export function orderApiRoutes(deps: OrderRoutesDeps): Hono {
  const app = new Hono();
  app.post('/api/orders/:id/replay', async (c) => {
    const { status, body } = await replayRoute(deps, c.req.param('id'), c.req.query('assume'));
    return c.json(body, status);
  });
  app.all('/api/orders/:id/replay', (c) => c.json({ error: 'use POST' }, 405));
  app.get('/api/orders/:id/jobs', async (c) => {
    const { status, body } = await searchRoute(deps, c.req.param('id'));
    return c.json(body, status);
  });
  return app;
}
