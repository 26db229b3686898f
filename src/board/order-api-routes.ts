import type { OrderApi } from '../clients/order-api.ts';
import { describeDoubt } from '../domain/decrease.ts';
import { parseOrderId } from '../domain/order.ts';
import { InvalidPayloadError, UpstreamError } from '../errors.ts';
import { orderJobId } from '../queue/jobs.ts';
import type { Queues } from '../queue/queues.ts';
import { describeReplay, type ReplayReport, replayOrder } from '../queue/replay.ts';
import type { Ledger } from '../stock/ledger.ts';

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface OrderRoutesDeps {
  readonly orderApi: OrderApi;
  readonly queues: Queues;
  readonly ledger: Ledger;
  /** Where Bull Board is served, for links to a job's page. */
  readonly basePath: string;
  readonly readOnly: boolean;
}

const REPLAY_STATUS: Record<ReplayReport['result'], number> = {
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

export function jobLink(basePath: string, queue: string, jobId: string): string {
  return `${basePath === '/' ? '' : basePath}/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;
}

/**
 * POST …/api/orders/<id>/replay[?assume=decreased|not-decreased]: the CLI's replay rules over HTTP,
 * with a link to the job.
 */
export async function replayRoute(deps: OrderRoutesDeps, rawId: string, assume: string | null): Promise<JsonAnswer> {
  if (deps.readOnly) return { status: 405, body: { error: 'the board is read-only (BOARD_READ_ONLY)' } };
  if (assume !== null && assume !== 'decreased' && assume !== 'not-decreased') {
    return { status: 400, body: { error: 'assume must be decreased or not-decreased' } };
  }
  let report: ReplayReport;
  try {
    report = await replayOrder(deps, rawId, assume ?? undefined);
  } catch (error) {
    if (error instanceof UpstreamError) return { status: 502, body: { error: error.message } };
    throw error;
  }
  const link = 'jobId' in report ? { boardUrl: jobLink(deps.basePath, deps.queues.orders.name, report.jobId) } : {};
  return { status: REPLAY_STATUS[report.result], body: { ...report, ...link, message: describeReplay(report) } };
}

/**
 * GET …/api/orders/<id>/jobs: every job of an order (Bull Board cannot search), and what the decrease
 * ledger knows of it. An order has at most one process-order job at a time, under its fixed id; its
 * parent is the cycle that enqueued it.
 */
export async function searchRoute(deps: OrderRoutesDeps, rawId: string): Promise<JsonAnswer> {
  let orderId: number;
  try {
    orderId = parseOrderId(rawId);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return { status: 400, body: { error: error.message } };
    throw error;
  }
  const record = await deps.ledger.order(orderId);
  const ledger =
    record === undefined
      ? null
      : { ...record, ...(record.state === 'person' && record.entry ? { doubt: describeDoubt(record.entry) } : {}) };
  const job = await deps.queues.orders.getJob(orderJobId(orderId));
  if (job === undefined)
    return { status: 404, body: { orderId, jobs: [], ledger, error: `no job for order ${orderId}` } };
  const cycleId = job.parent?.id;
  const cycle = cycleId === undefined ? undefined : await deps.queues.cycles.getJob(cycleId);
  const jobs = [
    {
      queue: deps.queues.orders.name,
      id: job.id,
      name: job.name,
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      returnvalue: job.returnvalue ?? null,
      failedReason: job.failedReason || null,
      createdAt: new Date(job.timestamp).toISOString(),
      finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      boardUrl: jobLink(deps.basePath, deps.queues.orders.name, String(job.id)),
    },
    ...(cycle === undefined
      ? []
      : [
          {
            queue: deps.queues.cycles.name,
            id: cycle.id,
            name: cycle.name,
            state: await cycle.getState(),
            role: 'parent cycle',
            boardUrl: jobLink(deps.basePath, deps.queues.cycles.name, String(cycle.id)),
          },
        ]),
  ];
  return { status: 200, body: { orderId, jobs, ledger } };
}
