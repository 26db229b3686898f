import type { OrderApi } from '../clients/order-api.ts';
import { describeDoubt } from '../domain/decrease.ts';
import type { Order } from '../domain/order.ts';
import { coerceError, UpstreamError } from '../errors.ts';
import { orderJobId } from '../queue/jobs.ts';
import type { Queues } from '../queue/queues.ts';
import type { Ledger, OrderRecord } from '../stock/ledger.ts';
import { describeCycle } from './cycle-summary.ts';

/** What the board reads for the order pages and the search API. */
export interface OrderViewDeps {
  readonly orderApi: OrderApi;
  readonly queues: Pick<Queues, 'orders' | 'cycles'>;
  readonly ledger: Pick<Ledger, 'order'>;
  /** Where Bull Board is served, for links to a job's page. */
  readonly basePath: string;
}

export interface JobView {
  readonly queue: string;
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly boardUrl: string;
}

export interface OrderJobView extends JobView {
  readonly attemptsMade: number;
  readonly returnvalue: unknown;
  readonly failedReason: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface CycleJobView extends JobView {
  readonly role: 'parent cycle';
  /** What the cycle did, as its entry in Bull Board's list says. */
  readonly summary: string;
}

/** Everything known of one order: the Order API's record, its jobs, and the decrease ledger's record. */
export interface OrderView {
  readonly orderId: number;
  /** As the Order API has it now; `unknown` when it does not know the order, `error` when it could not be asked. */
  readonly order: Order | { readonly unknown: true } | { readonly error: string };
  /** Its process-order job, then the cycle that enqueued it; empty when the order has no job. */
  readonly jobs: readonly [OrderJobView, ...CycleJobView[]] | readonly [];
  /** With the facts a person needs when it waits for one (`doubt`); null when the ledger has no record. */
  readonly ledger: (OrderRecord & { readonly doubt?: string }) | null;
}

export function jobLink(basePath: string, queue: string, jobId: string): string {
  return `${basePath === '/' ? '' : basePath}/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;
}

/** Reads an order's view; the Order API, Redis and the ledger are asked at once. */
export async function readOrderView(deps: OrderViewDeps, orderId: number): Promise<OrderView> {
  const [order, record, job] = await Promise.all([
    deps.orderApi
      .getOrder(orderId)
      .catch((error: unknown) =>
        error instanceof UpstreamError && error.kind === 'order-not-found'
          ? { unknown: true as const }
          : { error: coerceError(error).message },
      ),
    deps.ledger.order(orderId),
    deps.queues.orders.getJob(orderJobId(orderId)),
  ]);
  const ledger =
    record === undefined
      ? null
      : { ...record, ...(record.state === 'person' && record.entry ? { doubt: describeDoubt(record.entry) } : {}) };
  if (job === undefined) return { orderId, order, jobs: [], ledger };
  const orderJob: OrderJobView = {
    queue: deps.queues.orders.name,
    id: String(job.id),
    name: job.name,
    state: await job.getState(),
    attemptsMade: job.attemptsMade,
    returnvalue: job.returnvalue ?? null,
    failedReason: job.failedReason || null,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    boardUrl: jobLink(deps.basePath, deps.queues.orders.name, String(job.id)),
  };
  const cycleId = job.parent?.id;
  const cycle = cycleId === undefined ? undefined : await deps.queues.cycles.getJob(cycleId);
  if (cycle === undefined) return { orderId, order, jobs: [orderJob], ledger };
  const cycleJob: CycleJobView = {
    queue: deps.queues.cycles.name,
    id: String(cycle.id),
    name: cycle.name,
    state: await cycle.getState(),
    role: 'parent cycle',
    summary: describeCycle(cycle.toJSON()),
    boardUrl: jobLink(deps.basePath, deps.queues.cycles.name, String(cycle.id)),
  };
  return { orderId, order, jobs: [orderJob, cycleJob], ledger };
}
