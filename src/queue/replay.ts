import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type { OrderApi } from '../clients/order-api.ts';
import type { Config } from '../config/schema.ts';
import { backoffDelay } from '../domain/backoff.ts';
import { type DecreaseEntry, describeDoubt } from '../domain/decrease.ts';
import { isRetryable } from '../domain/failure.ts';
import { type Order, type OrderStatus, parseOrderId } from '../domain/order.ts';
import { coerceError, InvalidPayloadError, UpstreamError } from '../errors.ts';
import { createRandom, type Random } from '../random.ts';
import type { Ledger } from '../stock/ledger.ts';
import { currentCarrier, inMessageSpan } from '../telemetry/tracing.ts';
import { enqueueOrders } from './enqueue.ts';
import { orderJobId, type ProcessOrderData, type ProcessOrderResult } from './jobs.ts';
import { forgetRegisteredAgain } from './listing.ts';
import type { Queues } from './queues.ts';
import { withReplayClaim } from './replay-claim.ts';

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
  | { readonly result: 'no-doubt'; readonly orderId: number; readonly error: string }
  /**
   * Another replay or answer of the order was under way, or its job moved meanwhile: nothing more was
   * done (`settled`: this answer still counted).
   */
  | { readonly result: 'busy'; readonly orderId: number; readonly error: string; readonly settled?: Settled };

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

const RESET_ATTEMPTS = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

/**
 * Whether the order was left as it was although it still waits for processing (refused, already in
 * flight, busy with another replay) or needs a decision: the CLI exits non-zero then. An order no
 * longer registered has nothing left to do.
 */
export const isReplayError = (report: ReplayReport): boolean =>
  report.result !== 'enqueued' && report.result !== 'retried' && report.result !== 'not-registered';

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
  // Two people (or a person and a script) replaying or answering one order at once: one goes, the
  // others are told, instead of racing each other through the job's states.
  const claim = deps.queues.orders.toKey(`replaying:${orderJobId(orderId)}`);
  const report = await withReplayClaim(deps.queues.redis, claim, () => replayClaimed(deps, orderId, assume));
  return (
    report ?? {
      result: 'busy',
      orderId,
      error: `another replay or answer of order ${orderId} is under way; nothing changed`,
    }
  );
}

async function replayClaimed(deps: ReplayDeps, orderId: number, assume: Assumption | undefined): Promise<ReplayReport> {
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
        if (await retryIfFailed(job, { ...job.data, ...traceData }))
          return { result: 'retried', orderId, jobId, ...extra };
        return {
          result: 'busy',
          orderId,
          error: `its job ${jobId} was retried or removed by someone else meanwhile; nothing more was done`,
          ...extra,
        };
      }
      // A finished job keeps its id until retention removes it; the order is registered again, so start
      // over. Removing a job that is gone, or one someone else's replay has added and a worker runs,
      // does nothing; the add below then finds it.
      if (job !== undefined) await deps.queues.orders.remove(jobId);
      const { added } = await enqueueOrders(deps.queues, [orderId], {}, traceData);
      await forgetRegisteredAgain(deps.queues, orderId);
      if (added.length === 0) return { result: 'in-flight', orderId, jobId, state: 'added meanwhile' };
      return { result: 'enqueued', orderId, jobId, ...extra };
    },
  );
}

/** How a replay is tried again on transient upstream failures: RETRY_ATTEMPTS and the backoff settings. */
export interface ReplayRetries {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly random: Random;
}

export const replayRetries = (
  config: Pick<Config, 'attempts' | 'backoffMs' | 'backoffMaxMs'>,
  random: Random = createRandom(),
): ReplayRetries => ({
  attempts: config.attempts,
  backoffMs: config.backoffMs,
  backoffMaxMs: config.backoffMaxMs,
  random,
});

/** Pauses between a replay's tries stay short: a person is waiting, at a terminal or a button. */
const MAX_PAUSE_MS = 5000;

/**
 * replayOrder, tried again while the Order API fails in a way another try may mend: what the CLI
 * and the board's buttons both run. A try changes nothing before its Order API read, so trying
 * again is safe. The last failure is thrown.
 */
export async function replayOrderRetrying(
  deps: ReplayDeps,
  input: string,
  assume: Assumption | undefined,
  retries: ReplayRetries,
): Promise<ReplayReport> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await replayOrder(deps, input, assume);
    } catch (error) {
      const err = coerceError(error);
      if (!isRetryable(err) || attempt >= retries.attempts) throw err;
      await sleep(
        Math.min(backoffDelay(attempt, retries.backoffMs, retries.backoffMaxMs, retries.random), MAX_PAUSE_MS),
      );
    }
  }
}

/** The answer settles every order of the decrease: the failed jobs of the others are retried with it. */
async function retryOthers(deps: ReplayDeps, orders: readonly number[], orderId: number): Promise<number[]> {
  const retried: number[] = [];
  for (const other of orders.filter((id) => id !== orderId)) {
    const job = await deps.queues.orders.getJob(orderJobId(other));
    if (job === undefined || (await job.getState()) !== 'failed') continue;
    if (await retryIfFailed(job)) retried.push(other);
  }
  return retried;
}

/**
 * Retries a failed job, with `data` written first; false when the job left the failed set meanwhile
 * (retried from Bull Board or by another replay, or removed), which BullMQ reports by throwing.
 */
async function retryIfFailed(
  job: Job<ProcessOrderData, ProcessOrderResult>,
  data?: ProcessOrderData,
): Promise<boolean> {
  try {
    if (data !== undefined) await job.updateData(data);
    await job.retry('failed', RESET_ATTEMPTS);
    return true;
  } catch (error) {
    if ((await job.getState()) === 'failed') throw error;
    return false;
  }
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
    case 'busy':
      return `order ${report.orderId}: ${report.error}${describeSettled(report.orderId, report.settled)}`;
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
