import type { OrderApi } from '../clients/order-api.ts';
import { type DecreaseEntry, describeDoubt } from '../domain/decrease.ts';
import { type Order, type OrderStatus, parseOrderId } from '../domain/order.ts';
import { InvalidPayloadError, UpstreamError } from '../errors.ts';
import type { Ledger } from '../stock/ledger.ts';
import { currentCarrier, inMessageSpan } from '../telemetry/tracing.ts';
import { enqueueOrders } from './enqueue.ts';
import { orderJobId } from './jobs.ts';
import type { Queues } from './queues.ts';

export type ReplayReport =
  /** A fresh process-order job was added. */
  | { readonly result: 'enqueued'; readonly orderId: number; readonly jobId: string; readonly settled?: Settled }
  /** The order's failed job was retried; the ledger keeps its stock from being taken twice. */
  | { readonly result: 'retried'; readonly orderId: number; readonly jobId: string; readonly settled?: Settled }
  /** The order already has a job waiting or running: nothing added. */
  | { readonly result: 'in-flight'; readonly orderId: number; readonly jobId: string; readonly state: string }
  /** The order is no longer registered: processing it again could only skip it. */
  | { readonly result: 'not-registered'; readonly orderId: number; readonly status: OrderStatus }
  /** The id is not a positive integer. */
  | { readonly result: 'invalid'; readonly input: string; readonly error: string }
  /** The Order API does not know the order. */
  | { readonly result: 'unknown'; readonly orderId: number; readonly error: string }
  /** Whether the order's decrease happened cannot be told from the Stock API: a person must say (`assume`). */
  | { readonly result: 'uncertain'; readonly orderId: number; readonly entry: DecreaseEntry }
  /** `assume` was given for an order whose decrease is not waiting for a person. */
  | { readonly result: 'no-doubt'; readonly orderId: number; readonly error: string };

/** A person's answer for a decrease in doubt, after checking the stock. */
export type Assumption = 'decreased' | 'not-decreased';

/** What a person's answer settled: the decrease, every order it covered, and which of their failed jobs went again. */
export interface Settled {
  readonly assume: Assumption;
  readonly decrease: string;
  readonly orders: readonly number[];
  readonly retried: readonly number[];
}

export interface ReplayDeps {
  readonly orderApi: OrderApi;
  readonly queues: Pick<Queues, 'orders' | 'redis'>;
  readonly ledger: Pick<Ledger, 'order' | 'settle'>;
}

const IN_FLIGHT = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'wait', 'paused']);

/** Whether a report means the request was refused or needs a decision: the CLI exits non-zero then. */
export const isReplayError = (report: ReplayReport): boolean =>
  report.result === 'invalid' ||
  report.result === 'unknown' ||
  report.result === 'uncertain' ||
  report.result === 'no-doubt';

/**
 * Enqueues process-order for one order now, never doubling work: an order with a job in flight is
 * reported, a failed job is retried, otherwise a fresh job is added. Whatever runs, the decrease
 * ledger decides whether stock is still to be taken; an order whose decrease waits for a person is
 * replayed only with the person's answer (`assume`), which settles every order of that decrease.
 * Upstream failures other than "not found" are thrown.
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

  const record = await deps.ledger.order(orderId);
  const doubt = record?.state === 'person' ? record.entry : undefined;
  if (doubt === undefined && assume !== undefined) {
    return {
      result: 'no-doubt',
      orderId,
      error: `order ${orderId} has no stock decrease waiting for a person; replay it without --${assume}`,
    };
  }
  if (doubt !== undefined && assume === undefined) return { result: 'uncertain', orderId, entry: doubt };

  let order: Order;
  try {
    order = await deps.orderApi.getOrder(orderId);
  } catch (error) {
    if (error instanceof UpstreamError && error.kind === 'order-not-found') {
      return { result: 'unknown', orderId, error: `order ${orderId} does not exist in the Order API` };
    }
    throw error;
  }
  let settled: Settled | undefined;
  if (doubt !== undefined && assume !== undefined) {
    const settlement =
      assume === 'decreased'
        ? ({ result: 'taken', level: 'keep' } as const)
        : ({ result: 'not-taken', level: 'keep' } as const);
    const answered = await deps.ledger.settle(doubt, settlement, { stat: 'decidedByPerson' });
    // Two people answering at once: only the first answer counts.
    if (answered !== 'ok')
      return {
        result: 'no-doubt',
        orderId,
        error: `order ${orderId}: its decrease was settled meanwhile (${answered}); nothing changed`,
      };
    settled = {
      assume,
      decrease: doubt.id,
      orders: doubt.orders,
      retried: await retryOthers(deps, doubt.orders, orderId),
    };
  }
  if (order.status !== 'registered') return { result: 'not-registered', orderId, status: order.status };

  // A replay starts its own trace, linked to the one of the job it replaces.
  const original = job?.data.trace;
  return inMessageSpan(
    { operation: 'send', queue: deps.queues.orders.name, link: original, attributes: { 'order.id': orderId } },
    async (): Promise<ReplayReport> => {
      const traceData = { trace: currentCarrier(), ...(original ? { replayOf: original } : {}) };
      const extra = settled ? { settled } : {};
      if (job !== undefined && state === 'failed') {
        await job.updateData({ ...job.data, ...traceData });
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return { result: 'retried', orderId, jobId, ...extra };
      }
      // A finished job keeps its id until retention removes it; the order is registered again, so start over.
      if (job !== undefined) await job.remove();
      const { added } = await enqueueOrders(deps.queues, [orderId], {}, traceData);
      if (added.length === 0) return { result: 'in-flight', orderId, jobId, state: 'added meanwhile' };
      return { result: 'enqueued', orderId, jobId, ...extra };
    },
  );
}

/** The answer settles every order of the decrease: the failed jobs of the others are retried with it. */
async function retryOthers(deps: ReplayDeps, orders: readonly number[], orderId: number): Promise<number[]> {
  const retried: number[] = [];
  for (const other of orders.filter((id) => id !== orderId)) {
    const job = await deps.queues.orders.getJob(orderJobId(other));
    if (job === undefined || (await job.getState()) !== 'failed') continue;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    retried.push(other);
  }
  return retried;
}

/** One line per report, for people. */
export function describeReplay(report: ReplayReport): string {
  switch (report.result) {
    case 'enqueued':
      return `order ${report.orderId}: enqueued job ${report.jobId}${describeSettled(report.orderId, report.settled)}`;
    case 'retried':
      return `order ${report.orderId}: retried failed job ${report.jobId}${describeSettled(report.orderId, report.settled)}`;
    case 'in-flight':
      return `order ${report.orderId}: job ${report.jobId} is already ${report.state}; nothing added`;
    case 'not-registered':
      return `order ${report.orderId}: status is ${report.status}, not registered; nothing to do`;
    case 'invalid':
      return `${JSON.stringify(report.input)}: ${report.error}`;
    case 'unknown':
    case 'no-doubt':
      return `order ${report.orderId}: ${report.error}`;
    case 'uncertain':
      return `order ${report.orderId}: ${describeDoubt(report.entry)}`;
  }
}

function describeSettled(orderId: number, settled: Settled | undefined): string {
  if (settled === undefined) return '';
  const how = settled.assume === 'decreased' ? 'taken: only the status is set' : 'not taken: it is sent again';
  const others = settled.orders.filter((id) => id !== orderId);
  const covered =
    others.length === 0
      ? ''
      : `; it also covered orders ${others.join(', ')}${settled.retried.length > 0 ? `, whose failed jobs were retried too (${settled.retried.join(', ')})` : ''}`;
  return ` (decrease ${settled.decrease} settled as ${how}${covered})`;
}
