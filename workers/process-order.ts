import { trace } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import type { OrderApi } from '../src/clients/order-api.ts';
import type { StockApi } from '../src/clients/stock-api.ts';
import type { Order, Outcome } from '../src/domain/order.ts';
import type { UpstreamHealth } from '../src/domain/upstream-health.ts';
import { coerceError, SimulatedFailure, UpstreamError } from '../src/errors.ts';
import { type ProcessOrderData, type ProcessOrderResult, parseProcessOrderData } from '../src/jobs.ts';
import type { Logger } from '../src/logger.ts';
import type { Random } from '../src/random.ts';
import type { StockLock } from '../src/stock-lock.ts';
import { jobAttempts, jobDuration, ordersProcessed } from '../src/telemetry/metrics.ts';
import { inMessageSpan, recordFailure } from '../src/telemetry/tracing.ts';

export interface ProcessOrderDeps {
  readonly orderApi: OrderApi;
  readonly stockApi: StockApi;
  /** Probability that an attempt fails on purpose before any I/O (ERROR_RATE). */
  readonly errorRate: number;
  readonly random: Random;
  readonly logger: Logger;
  /** `child`: the order's span joins its cycle's trace; `link`: it starts its own trace, linked. */
  readonly traceOrders: 'child' | 'link';
  /** A listed order younger than this is trusted as listed; an older one is read again (ORDER_REREAD_AFTER_MS). */
  readonly orderRereadAfterMs: number;
  /** Serializes decreases per wood type; absent for atomic upstreams. */
  readonly stockLock?: StockLock;
  /** The Stock API dedupes decreases by Idempotency-Key, so a decrease of unknown outcome may be sent again. */
  readonly idempotencyKeysHonoured: boolean;
  /** Where attempts report whether the upstream answered, for backpressure. */
  readonly health?: Pick<UpstreamHealth, 'record'>;
}

export type ProcessOrderJob = Job<ProcessOrderData, ProcessOrderResult>;

/** The Stock API's business answers are outcomes, not failures (see the contract's outcome table). */
export async function decreaseStock(stockApi: StockApi, order: Order): Promise<Outcome> {
  try {
    await stockApi.decrease(order.woodType, order.quantity, `order-${order.id}-decrease`);
    return 'shipped';
  } catch (error) {
    if (error instanceof UpstreamError && error.kind === 'insufficient-stock') return 'blocked';
    if (error instanceof UpstreamError && error.kind === 'stock-not-found') return 'closed';
    throw error;
  }
}

const isRetryable = (error: Error): boolean =>
  error instanceof SimulatedFailure || (error instanceof UpstreamError && error.retryable);

/**
 * Takes the order as listed (or reads it again when the listing is old), decreases stock, then sets
 * the status, recording the decision on the job if that fails. A retry or replay that finds a
 * recorded decision only sets the status: stock is taken at most once.
 */
export function createProcessOrderProcessor(deps: ProcessOrderDeps) {
  return async (job: ProcessOrderJob): Promise<ProcessOrderResult> => {
    const started = performance.now();
    const attempt = job.attemptsMade + 1;
    const carrier = job.data?.trace;
    try {
      return await inMessageSpan(
        {
          operation: 'process',
          queue: job.queueName,
          jobId: job.id,
          parent: deps.traceOrders === 'child' ? carrier : undefined,
          link: deps.traceOrders === 'link' ? carrier : job.data?.replayOf,
          attributes: { 'job.attempt': attempt },
        },
        () => attemptOrder(job, attempt, deps),
      );
    } finally {
      jobDuration.record((performance.now() - started) / 1000, { queue: job.queueName });
    }
  };
}

async function attemptOrder(
  job: ProcessOrderJob,
  attempt: number,
  deps: ProcessOrderDeps,
): Promise<ProcessOrderResult> {
  const span = trace.getActiveSpan();
  const count = (result: 'ok' | 'retry' | 'failed', outcome?: string) => {
    jobAttempts.add(1, { queue: job.queueName, result });
    if (outcome) ordersProcessed.add(1, { outcome });
  };
  let data: ProcessOrderData;
  try {
    data = parseProcessOrderData(job.data);
  } catch (error) {
    count('failed', 'failed');
    throw new UnrecoverableError(`invalid job data: ${(error as Error).message}`);
  }
  span?.setAttribute('order.id', data.orderId);
  const log = deps.logger.child({ queue: job.queueName, jobId: job.id, orderId: data.orderId, attempt });
  try {
    if (deps.random() < deps.errorRate) throw new SimulatedFailure('process-order');
    const result = await runSteps(job, data, deps, log);
    deps.health?.record(true);
    span?.setAttribute('order.outcome', result.outcome);
    count('ok', result.outcome);
    return result;
  } catch (thrown) {
    const error = coerceError(thrown);
    if (error instanceof UpstreamError && error.kind === 'transient') deps.health?.record(false);
    if (!isRetryable(error)) {
      log.error('order failed permanently', {
        err: error,
        decided: job.data.decided,
        decreaseSent: job.data.decreaseSent,
      });
      count('failed', 'failed');
      throw new UnrecoverableError(error.message);
    }
    if (attempt < (job.opts.attempts ?? 1)) {
      log.info('attempt failed; will retry', { err: error });
      count('retry');
      throw error;
    }
    const stockMayBeTaken = job.data.decreaseSent || (error instanceof UpstreamError && error.mayHaveDecreased);
    if (job.data.decided === undefined && !stockMayBeTaken) {
      if (span) recordFailure(span, error);
      const result = await blockExhausted(job, data.orderId, deps.orderApi, error, log);
      span?.setAttribute('order.outcome', result.outcome);
      count('ok', result.outcome);
      return result;
    }
    log.error('retries ran out after the stock call; the job stays failed for replay', {
      err: error,
      decided: job.data.decided,
    });
    count('failed', 'failed');
    throw error;
  }
}

async function runSteps(
  job: ProcessOrderJob,
  data: ProcessOrderData,
  deps: ProcessOrderDeps,
  log: Logger,
): Promise<ProcessOrderResult> {
  const { orderId } = data;
  let decided = data.decided;
  const decidingNow = decided === undefined;
  if (decided === undefined) {
    let order: Order;
    try {
      order = listedOrder(job, data, deps.orderRereadAfterMs) ?? (await deps.orderApi.getOrder(orderId));
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'order-not-found') {
        log.warn('order no longer exists; nothing to do');
        return { orderId, outcome: 'skipped' };
      }
      throw error;
    }
    trace.getActiveSpan()?.setAttributes({ 'order.wood_type': order.woodType, 'order.quantity': order.quantity });
    if (order.status !== 'registered') {
      log.info('order is no longer registered; skipped', { status: order.status });
      return { orderId, outcome: 'skipped', status: order.status };
    }
    decided = await decreaseOnce(job, data, order, deps);
    log.info('stock call decided the outcome', {
      outcome: decided,
      woodType: order.woodType,
      quantity: order.quantity,
    });
  }
  try {
    await deps.orderApi.setStatus(orderId, decided);
  } catch (error) {
    // Recorded only when needed: on the usual path the status follows at once, and a Redis write
    // per order would cost more than the rare retry. A worker that dies between the stock call and
    // this line leaves the mark without a decision: its retry reads the order and, if it is still
    // registered, fails as an unknown outcome.
    if (decidingNow) {
      await job.updateData({ ...data, decreaseSent: true, decided }).catch((recordError: unknown) =>
        log.warn('could not record the outcome of the stock call; a retry will find it unknown', {
          err: coerceError(recordError),
        }),
      );
    }
    throw error;
  }
  log.info('order status set', { status: decided });
  return { orderId, outcome: decided, status: decided };
}

/**
 * The order as its cycle listed it, while that listing is fresh: re-reading each order would cost a
 * third of the HTTP calls. An attempt after one that got as far as the stock call always reads,
 * since the status may already have been written.
 */
function listedOrder(job: ProcessOrderJob, data: ProcessOrderData, rereadAfterMs: number): Order | undefined {
  if (data.listed === undefined || data.decreaseSent) return undefined;
  if (Date.now() - job.timestamp >= rereadAfterMs) return undefined;
  return { id: data.orderId, ...data.listed, status: 'registered' };
}

/**
 * Sends the decrease at most once unless the upstream dedupes by Idempotency-Key. The job records
 * that the call is about to go out; an attempt that finds that record without an outcome (its
 * worker died mid-call), or a call that got no answer, cannot know whether stock was taken. With
 * keys honoured it simply repeats the call; otherwise the job fails for a person to decide.
 */
async function decreaseOnce(
  job: ProcessOrderJob,
  data: ProcessOrderData,
  order: Order,
  deps: ProcessOrderDeps,
): Promise<Outcome> {
  // With keys honoured, sending again is safe, and the mark (a Redis round trip per order) is not needed.
  const marked = !deps.idempotencyKeysHonoured;
  if (marked && data.decreaseSent) throw uncertain(order.id, 'an earlier attempt stopped mid-call');
  if (marked) await job.updateData({ ...data, decreaseSent: true });
  const decrease = () => decreaseStock(deps.stockApi, order);
  try {
    return await (deps.stockLock ? deps.stockLock.run(order.woodType, decrease) : decrease());
  } catch (error) {
    if (!marked) throw error;
    if (error instanceof UpstreamError && error.mayHaveDecreased) throw uncertain(order.id, error.message);
    // The Stock API answered (or was never reached): nothing was taken, a retry may send it again.
    await job.updateData({ ...data, decreaseSent: false });
    throw error;
  }
}

function uncertain(orderId: number, why: string): UnrecoverableError {
  return new UnrecoverableError(
    `stock decrease of order ${orderId} may or may not have happened (${why}) and the Stock API does not ` +
      `honour Idempotency-Key: check the stock, then run \`ordermanagement replay --decreased ${orderId}\` ` +
      `or \`--not-decreased ${orderId}\``,
  );
}

/** Retries ran out before any stock was taken: block the order (best effort) so it does not wait forever. */
async function blockExhausted(
  job: ProcessOrderJob,
  orderId: number,
  orderApi: OrderApi,
  cause: Error,
  log: Logger,
): Promise<ProcessOrderResult> {
  try {
    await orderApi.setStatus(orderId, 'blocked');
  } catch (error) {
    log.error('retries ran out and blocking the order failed too; the job stays failed for replay', {
      err: coerceError(error),
      cause: cause.message,
    });
    throw cause;
  }
  log.warn('retries ran out before any stock was taken; order blocked', { err: cause, attempts: job.attemptsMade + 1 });
  return { orderId, outcome: 'blocked', status: 'blocked', exhausted: true };
}
