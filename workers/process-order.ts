import { trace } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { OrderApi } from '../src/clients/order-api.ts';
import { decidedBy, describeDoubt } from '../src/domain/decrease.ts';
import { isRetryable, upstreamFailed } from '../src/domain/failure.ts';
import type { Order, Outcome } from '../src/domain/order.ts';
import type { UpstreamHealth } from '../src/domain/upstream-health.ts';
import {
  coerceError,
  DecreaseNeedsPerson,
  LedgerLost,
  SimulatedFailure,
  UpstreamError,
  WoodTypeStalled,
} from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import { type ProcessOrderData, type ProcessOrderResult, parseProcessOrderData } from '../src/queue/jobs.ts';
import type { Random } from '../src/random.ts';
import type { Ledger, OrderRecord } from '../src/stock/ledger.ts';
import type { StockTaker } from '../src/stock/taker.ts';
import { jobAttempts, jobDuration, orderAnomalies, ordersProcessed } from '../src/telemetry/metrics.ts';
import { inMessageSpan, recordFailure } from '../src/telemetry/tracing.ts';

export interface ProcessOrderDeps {
  readonly orderApi: OrderApi;
  /** Takes each order's stock at most once, through the decrease ledger. */
  readonly stock: StockTaker;
  readonly ledger: Ledger;
  /** Probability that an attempt fails on purpose before any I/O (ERROR_RATE). */
  readonly errorRate: number;
  readonly random: Random;
  readonly logger: Logger;
  /** `child`: the order's span joins its cycle's trace; `link`: it starts its own trace, linked. */
  readonly traceOrders: 'child' | 'link';
  /** A listed order younger than this is trusted as listed; an older one is read again (ORDER_REREAD_AFTER_MS). */
  readonly orderRereadAfterMs: number;
  /** When a cycle last listed the order registered (Date.now() ms), if it did recently. */
  readonly lastListed: (orderId: number) => Promise<number | undefined>;
  /** How long a job whose stock is (or may be) taken waits between tries once its attempts ran out. */
  readonly parkMs: number;
  /** Where attempts report whether the upstream answered, for backpressure. */
  readonly health?: Pick<UpstreamHealth, 'record'>;
}

export type ProcessOrderJob = Job<ProcessOrderData, ProcessOrderResult>;

/**
 * Takes the order as listed (or reads it again when the listing is old), takes its stock through the
 * ledger, then sets the status. An attempt that finds the ledger's decision for its order only sets
 * the status: stock is taken at most once, whatever retries, crashes and replays came before.
 */
export function createProcessOrderProcessor(deps: ProcessOrderDeps) {
  return async (job: ProcessOrderJob, token?: string): Promise<ProcessOrderResult> => {
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
          controlFlow: (error) => error instanceof DelayedError,
        },
        () => attemptOrder(job, token, attempt, deps),
      );
    } finally {
      jobDuration.record((performance.now() - started) / 1000, { queue: job.queueName });
    }
  };
}

async function attemptOrder(
  job: ProcessOrderJob,
  token: string | undefined,
  attempt: number,
  deps: ProcessOrderDeps,
): Promise<ProcessOrderResult> {
  const span = trace.getActiveSpan();
  const count = (result: 'ok' | 'retry' | 'failed' | 'parked', outcome?: string) => {
    jobAttempts.add(1, { queue: job.queueName, result });
    if (outcome) ordersProcessed.add(1, { outcome });
  };
  // No further attempt: BullMQ moves the job to the failed set at once, where a person finds the reason.
  const failForGood = (message: string): never => {
    count('failed', 'failed');
    throw new UnrecoverableError(message);
  };
  let data: ProcessOrderData;
  try {
    data = parseProcessOrderData(job.data);
  } catch (error) {
    return failForGood(`invalid job data: ${coerceError(error).message}`);
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
    // Not the order's fault and no reason to block it: it waits, attempts untouched, for a person to act.
    if (error instanceof LedgerLost) {
      count('parked');
      return park(job, token, deps, error, log);
    }
    if (upstreamFailed(error)) deps.health?.record(false);
    if (isRetryable(error) && attempt < (job.opts.attempts ?? 1)) {
      log.info('attempt failed; will retry', { err: error });
      count('retry');
      throw error;
    }
    try {
      if (!isRetryable(error)) throw error;
      if (span) recordFailure(span, error);
      const result = await afterLastAttempt(job, token, data.orderId, deps, error, log);
      span?.setAttribute('order.outcome', result.outcome);
      count('ok', result.outcome);
      return result;
    } catch (final) {
      if (final instanceof DelayedError) {
        count('parked');
        throw final;
      }
      const failure = coerceError(final);
      log.error('order failed; it waits for a person', { err: failure });
      return failForGood(failure.message);
    }
  }
}

async function runSteps(
  job: ProcessOrderJob,
  data: ProcessOrderData,
  deps: ProcessOrderDeps,
  log: Logger,
): Promise<ProcessOrderResult> {
  const { orderId } = data;
  // A retry, a stalled job run again or a replay may find its decision already made: only the status is left.
  const recorded = job.attemptsStarted > 1 ? await deps.ledger.order(orderId) : undefined;
  let outcome = recorded && decided(recorded);
  // The order this attempt decided from; none when the ledger held an earlier attempt's decision.
  let order: Order | undefined;
  if (outcome === undefined) {
    try {
      order = (await listedOrder(job, data, deps)) ?? (await deps.orderApi.getOrder(orderId));
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
    outcome = await deps.stock.take(order);
    // The status line below says it once written; should the write fail, this says what was decided.
    log.debug('stock call decided the outcome', { outcome, woodType: order.woodType, quantity: order.quantity });
  }
  try {
    await deps.orderApi.setStatus(orderId, outcome);
  } catch (error) {
    if (error instanceof UpstreamError && error.kind === 'order-not-found')
      return vanished(orderId, outcome, deps, log);
    throw error;
  }
  // One line per order: a worker writes hundreds a second, each a write to stdout.
  log.info('order status set', {
    status: outcome,
    ...(order ? { woodType: order.woodType, quantity: order.quantity } : { fromLedger: true }),
  });
  return { orderId, outcome, status: outcome };
}

/**
 * The order was deleted between its listing and its status update. Had its stock been taken, that
 * stock is gone for an order that no longer exists: nothing a retry can mend, so it is recorded
 * for people (an error line, the anomalies metric, the job's result) and the job completes.
 */
async function vanished(
  orderId: number,
  outcome: Outcome,
  deps: ProcessOrderDeps,
  log: Logger,
): Promise<ProcessOrderResult> {
  if (outcome !== 'shipped') {
    log.warn('order no longer exists; no stock was taken for it', { decided: outcome });
    return { orderId, outcome: 'skipped' };
  }
  const entry = (await deps.ledger.order(orderId))?.entry;
  const anomaly =
    `stock was taken for order ${orderId}, which no longer exists (404 on its status update)` +
    (entry
      ? `: decrease ${entry.id} of ${entry.quantity} ${entry.woodType} for orders ${entry.orders.join(', ')}`
      : '');
  orderAnomalies.add(1, { kind: 'stock-taken-order-vanished' });
  log.error('anomaly: stock taken for an order that vanished', { anomaly });
  return { orderId, outcome: 'vanished', anomaly };
}

/** The outcome the ledger already holds for an order; throws when only a person can tell. */
function decided(record: OrderRecord): Outcome | undefined {
  const found = decidedBy(record.state, record.outcome);
  if (found === 'person') {
    throw new DecreaseNeedsPerson(
      record.entry ? describeDoubt(record.entry) : `order ${record.orderId}: waits for a person`,
    );
  }
  return found === 'in-doubt' ? undefined : found;
}

/**
 * The order as listed, while a listing is fresh: the one that added the job, or a later cycle's (each
 * lists every registered order). Reading it again would double the requests to the Order API, which
 * is what limits how fast orders go.
 */
async function listedOrder(
  job: ProcessOrderJob,
  data: ProcessOrderData,
  deps: Pick<ProcessOrderDeps, 'orderRereadAfterMs' | 'lastListed'>,
): Promise<Order | undefined> {
  if (data.listed === undefined) return undefined;
  const fresh = (at: number | undefined) => at !== undefined && Date.now() - at < deps.orderRereadAfterMs;
  if (!fresh(job.timestamp) && !fresh(await deps.lastListed(data.orderId))) return undefined;
  return { id: data.orderId, ...data.listed, status: 'registered' };
}

/**
 * The attempts ran out on failures worth retrying. Nothing taken: the order is blocked (the
 * contract's outcome table). Stock taken, or a decrease still in doubt: giving up would leave the
 * order registered with its stock gone, so the job waits and tries again (`parkMs`) until the
 * status can be written or the doubt is resolved; it never needs a person for an outage.
 */
async function afterLastAttempt(
  job: ProcessOrderJob,
  token: string | undefined,
  orderId: number,
  deps: ProcessOrderDeps,
  cause: Error,
  log: Logger,
): Promise<ProcessOrderResult> {
  const record = await deps.ledger.order(orderId);
  // Another order's doubt held this one up: nothing of it was tried, so it is not blocked for that.
  const stalled = cause instanceof WoodTypeStalled;
  const outcome = record ? decided(record) : stalled ? undefined : 'blocked';
  if (outcome !== undefined) {
    try {
      await deps.orderApi.setStatus(orderId, outcome);
      const exhausted = record === undefined;
      if (exhausted) log.warn('retries ran out before any stock was taken; order blocked', { err: cause });
      else log.warn('retries ran out; the recorded outcome is set', { err: cause, status: outcome });
      return { orderId, outcome, status: outcome, ...(exhausted ? { exhausted: true as const } : {}) };
    } catch (error) {
      log.warn('could not set the status after the last attempt', { err: coerceError(error) });
    }
  }
  const why =
    record?.state === 'pending'
      ? 'its stock decrease is in doubt'
      : stalled
        ? 'its wood type waits for another decrease in doubt'
        : `its status ${outcome} is not written yet`;
  return park(job, token, deps, cause, log, `retries ran out but ${why}`);
}

/** Moves the job to wait `parkMs` and try again, without spending an attempt, saying why in its log. */
async function park(
  job: ProcessOrderJob,
  token: string | undefined,
  deps: Pick<ProcessOrderDeps, 'parkMs'>,
  cause: Error,
  log: Logger,
  why = cause.message,
): Promise<never> {
  if (token === undefined) throw cause;
  log.warn(`${why}; waiting to try again`, { err: cause, retryInMs: deps.parkMs });
  await job.log(`${new Date().toISOString()} ${why}: ${cause.message}`);
  await job.moveToDelayed(Date.now() + deps.parkMs, token);
  throw new DelayedError();
}
