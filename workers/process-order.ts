import { type Job, UnrecoverableError } from 'bullmq';
import type { OrderApi } from '../src/clients/order-api.ts';
import type { StockApi } from '../src/clients/stock-api.ts';
import type { Order, Outcome } from '../src/domain/order.ts';
import { coerceError, SimulatedFailure, UpstreamError } from '../src/errors.ts';
import { type ProcessOrderData, type ProcessOrderResult, parseProcessOrderData } from '../src/jobs.ts';
import type { Logger } from '../src/logger.ts';
import type { Random } from '../src/random.ts';

export interface ProcessOrderDeps {
  readonly orderApi: OrderApi;
  readonly stockApi: StockApi;
  /** Probability that an attempt fails on purpose before any I/O (ERROR_RATE). */
  readonly errorRate: number;
  readonly random: Random;
  readonly logger: Logger;
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
 * Re-reads the order, decreases stock, records the decision on the job, then sets the status.
 * A retry or replay that finds a recorded decision only sets the status: stock is taken at most once.
 */
export function createProcessOrderProcessor(deps: ProcessOrderDeps) {
  return async (job: ProcessOrderJob): Promise<ProcessOrderResult> => {
    let data: ProcessOrderData;
    try {
      data = parseProcessOrderData(job.data);
    } catch (error) {
      throw new UnrecoverableError(`invalid job data: ${(error as Error).message}`);
    }
    const attempt = job.attemptsMade + 1;
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id, orderId: data.orderId, attempt });
    try {
      if (deps.random() < deps.errorRate) throw new SimulatedFailure('process-order');
      return await runSteps(job, data, deps, log);
    } catch (thrown) {
      const error = coerceError(thrown);
      if (!isRetryable(error)) {
        log.error('order failed permanently', { err: error, decided: job.data.decided });
        throw new UnrecoverableError(error.message);
      }
      if (attempt < (job.opts.attempts ?? 1)) {
        log.info('attempt failed; will retry', { err: error });
        throw error;
      }
      if (job.data.decided === undefined) return blockExhausted(job, data.orderId, deps.orderApi, error, log);
      log.error('retries ran out after the stock call; the job stays failed for replay', {
        err: error,
        decided: job.data.decided,
      });
      throw error;
    }
  };
}

async function runSteps(
  job: ProcessOrderJob,
  data: ProcessOrderData,
  deps: ProcessOrderDeps,
  log: Logger,
): Promise<ProcessOrderResult> {
  const { orderId } = data;
  let decided = data.decided;
  if (decided === undefined) {
    let order: Order;
    try {
      order = await deps.orderApi.getOrder(orderId);
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'order-not-found') {
        log.warn('order no longer exists; nothing to do');
        return { orderId, outcome: 'skipped' };
      }
      throw error;
    }
    if (order.status !== 'registered') {
      log.info('order is no longer registered; skipped', { status: order.status });
      return { orderId, outcome: 'skipped', status: order.status };
    }
    decided = await decreaseStock(deps.stockApi, order);
    await job.updateData({ ...data, decided });
    log.info('stock call decided the outcome', {
      outcome: decided,
      woodType: order.woodType,
      quantity: order.quantity,
    });
  }
  await deps.orderApi.setStatus(orderId, decided);
  log.info('order status set', { status: decided });
  return { orderId, outcome: decided, status: decided };
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
