import type { OrderApi } from './clients/order-api.ts';
import { InvalidPayloadError, type Order, type OrderStatus, parseOrderId } from './domain/order.ts';
import { enqueueOrders } from './enqueue.ts';
import { UpstreamError } from './errors.ts';
import { orderJobId } from './jobs.ts';
import type { Queues } from './queues.ts';
import { currentCarrier, inMessageSpan } from './telemetry/tracing.ts';

export type ReplayReport =
  /** A fresh process-order job was added. */
  | { readonly result: 'enqueued'; readonly orderId: number; readonly jobId: string }
  /** The order's failed job was retried from its recorded step. */
  | { readonly result: 'retried'; readonly orderId: number; readonly jobId: string; readonly decided?: string }
  /** The order already has a job waiting or running: nothing added. */
  | { readonly result: 'in-flight'; readonly orderId: number; readonly jobId: string; readonly state: string }
  /** The order is no longer registered: processing it again could only skip it. */
  | { readonly result: 'not-registered'; readonly orderId: number; readonly status: OrderStatus }
  /** The id is not a positive integer. */
  | { readonly result: 'invalid'; readonly input: string; readonly error: string }
  /** The Order API does not know the order. */
  | { readonly result: 'unknown'; readonly orderId: number; readonly error: string }
  /** The failed job's decrease may or may not have happened: a person must say which (`assume`). */
  | { readonly result: 'uncertain'; readonly orderId: number; readonly jobId: string };

/** A person's answer for a decrease of unknown outcome, after checking the stock. */
export type Assumption = 'decreased' | 'not-decreased';

export interface ReplayDeps {
  readonly orderApi: OrderApi;
  readonly queues: Pick<Queues, 'orders' | 'redis'>;
}

const IN_FLIGHT = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'wait', 'paused']);

/** Whether a report means the request was refused (bad or unknown id): the CLI exits non-zero then. */
export const isReplayError = (report: ReplayReport): boolean =>
  report.result === 'invalid' || report.result === 'unknown' || report.result === 'uncertain';

/**
 * Enqueues process-order for one order now, never doubling work: an order with a job in flight is
 * reported, a failed job is retried from its recorded step (no second stock decrease), otherwise a
 * fresh job is added. Upstream failures other than "not found" are thrown.
 */
export async function replayOrder(deps: ReplayDeps, input: string, assume?: Assumption): Promise<ReplayReport> {
  let orderId: number;
  try {
    orderId = parseOrderId(input);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return { result: 'invalid', input, error: error.message };
    throw error;
  }
  const jobId = orderJobId(orderId);
  const job = await deps.queues.orders.getJob(jobId);
  const state = job === undefined ? 'missing' : await job.getState();
  if (IN_FLIGHT.has(state)) return { result: 'in-flight', orderId, jobId, state };

  let order: Order;
  try {
    order = await deps.orderApi.getOrder(orderId);
  } catch (error) {
    if (error instanceof UpstreamError && error.kind === 'order-not-found') {
      return { result: 'unknown', orderId, error: `order ${orderId} does not exist in the Order API` };
    }
    throw error;
  }
  if (order.status !== 'registered') return { result: 'not-registered', orderId, status: order.status };

  // A replay starts its own trace, linked to the one of the job it replaces.
  const original = job?.data.trace;
  return inMessageSpan(
    { operation: 'send', queue: deps.queues.orders.name, link: original, attributes: { 'order.id': orderId } },
    async (): Promise<ReplayReport> => {
      const traceData = { trace: currentCarrier(), ...(original ? { replayOf: original } : {}) };
      if (job !== undefined && state === 'failed') {
        const { decided, decreaseSent } = job.data;
        if (decreaseSent && decided === undefined && assume === undefined)
          return { result: 'uncertain', orderId, jobId };
        const resolved =
          decreaseSent && decided === undefined
            ? assume === 'decreased'
              ? { decided: 'shipped' as const }
              : { decreaseSent: false }
            : {};
        await job.updateData({ ...job.data, ...resolved, ...traceData });
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        const step = job.data.decided ?? ('decided' in resolved ? resolved.decided : undefined);
        return { result: 'retried', orderId, jobId, ...(step ? { decided: step } : {}) };
      }
      // A finished job keeps its id until retention removes it; the order is registered again, so start over.
      if (job !== undefined) await job.remove();
      const { added } = await enqueueOrders(deps.queues, [orderId], {}, traceData);
      if (added.length === 0) return { result: 'in-flight', orderId, jobId, state: 'added meanwhile' };
      return { result: 'enqueued', orderId, jobId };
    },
  );
}

/** One line per report, for people. */
export function describeReplay(report: ReplayReport): string {
  switch (report.result) {
    case 'enqueued':
      return `order ${report.orderId}: enqueued job ${report.jobId}`;
    case 'retried':
      return `order ${report.orderId}: retried failed job ${report.jobId}${report.decided ? ` (stock step done: ${report.decided}; only the status is set)` : ''}`;
    case 'in-flight':
      return `order ${report.orderId}: job ${report.jobId} is already ${report.state}; nothing added`;
    case 'not-registered':
      return `order ${report.orderId}: status is ${report.status}, not registered; nothing to do`;
    case 'invalid':
      return `${JSON.stringify(report.input)}: ${report.error}`;
    case 'unknown':
      return `order ${report.orderId}: ${report.error}`;
    case 'uncertain':
      return (
        `order ${report.orderId}: job ${report.jobId} failed while its stock decrease may or may not have happened; ` +
        `check the stock, then replay with --decreased (only the status is set) or --not-decreased (the decrease is sent)`
      );
  }
}
