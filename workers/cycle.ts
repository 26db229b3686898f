import { type Job, WaitingChildrenError } from 'bullmq';
import type { OrderApi } from '../src/clients/order-api.ts';
import { nextSkip, type PassCut, pageLimit } from '../src/domain/paging.ts';
import type { UpstreamHealth } from '../src/domain/upstream-health.ts';
import { coerceError, SimulatedFailure } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import { enqueueOrders, type RegisteredAgain } from '../src/queue/enqueue.ts';
import type { CycleData, CycleResult, FanOutCounts, ProcessOrderResult } from '../src/queue/jobs.ts';
import type { Queues } from '../src/queue/queues.ts';
import type { Random } from '../src/random.ts';
import {
  cycleDuration,
  cycleFailures,
  cyclesCut,
  cyclesEmpty,
  cyclesThrottled,
  ordersPerCycle,
  ordersRegisteredAgain,
} from '../src/telemetry/metrics.ts';
import { currentCarrier, inMessageSpan } from '../src/telemetry/tracing.ts';

export interface CycleDeps {
  readonly orderApi: OrderApi;
  readonly queues: Pick<Queues, 'cycles' | 'orders' | 'redis'>;
  readonly pageSize: number;
  /** The most orders one pass lists (MAX_ORDERS_PER_CYCLE). */
  readonly maxOrders: number;
  /** Probability that an attempt fails on purpose before any I/O (CYCLE_ERROR_RATE). */
  readonly errorRate: number;
  readonly random: Random;
  readonly logger: Logger;
  /** Backpressure: how many orders the cycle may add while the upstream keeps failing. */
  readonly health?: Pick<UpstreamHealth, 'fanOutLimit' | 'recent'>;
  /** How long a listing is trusted by workers (ORDER_REREAD_AFTER_MS): older ones are forgotten. */
  readonly listingKeepMs: number;
}

export type CycleJob = Job<CycleData, CycleResult>;

/**
 * A cycle runs in two steps on one job: fan out every registered order as a child job, then,
 * once the children have finished, count their outcomes. The fan-out counts are recorded on the
 * job between the steps, so the job can wait in waiting-children without holding a worker.
 *
 * Each cycle starts a new trace (its scheduler template carries none); the trace is recorded on the
 * job so its retries, its children and its outcome count all join it.
 */
export function createCycleProcessor(deps: CycleDeps) {
  return (job: CycleJob, token?: string): Promise<CycleResult> =>
    runCycle(job, token, deps).catch((error: unknown) => {
      if (error instanceof WaitingChildrenError) throw error;
      // The reason would otherwise live only in the job's failedReason in Redis.
      const err = coerceError(error);
      const attempt = job.attemptsMade + 1;
      const last = attempt >= (job.opts.attempts ?? 1);
      cycleFailures.add(1, { final: last });
      deps.logger.log(
        last ? 'error' : 'warn',
        last ? 'cycle failed; the next one goes on' : 'cycle attempt failed; will retry',
        {
          queue: job.queueName,
          jobId: job.id,
          attempt,
          err,
        },
      );
      throw err;
    });
}

function runCycle(job: CycleJob, token: string | undefined, deps: CycleDeps): Promise<CycleResult> {
  return inMessageSpan(
    {
      operation: 'process',
      queue: job.queueName,
      jobId: job.id,
      parent: job.data.trace,
      attributes: { 'ordermanagement.cycle.step': job.data.fanOut === undefined ? 'fan-out' : 'collect' },
      controlFlow: (error) => error instanceof WaitingChildrenError,
    },
    async () => {
      const log = deps.logger.child({ queue: job.queueName, jobId: job.id });
      let fanOut = job.data.fanOut;
      if (fanOut === undefined) {
        if (deps.random() < deps.errorRate) throw new SimulatedFailure('cycle');
        const started = performance.now();
        if (job.data.trace === undefined) await job.updateData({ ...job.data, trace: currentCarrier() });
        fanOut = await fanOutOrders(job, deps, log);
        await job.updateData({ ...job.data, fanOut });
        cycleDuration.record((performance.now() - started) / 1000);
        ordersPerCycle.record(fanOut.enqueued);
        log.info('cycle fanned out', { ...fanOut });
        await removeEmptyCycles(deps.queues, log);
        if (isEmpty(fanOut)) await markEmpty(job, deps.queues);
      }
      if (token !== undefined && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
      const result = { ...fanOut, outcomes: await collectOutcomes(job, deps.pageSize) };
      log.info('cycle finished', { ...result.outcomes, enqueued: result.enqueued });
      return result;
    },
  );
}

/**
 * A cycle that added no order and has nothing to report: one every INTERVAL_SECONDS would bury the
 * cycles that did work in Bull Board's completed list. Orders skipped because they already have a
 * job (a failed one waiting for a replay is listed again by every cycle) are not work; a cycle held
 * to a probe by backpressure, or cut short, has something to say.
 */
export const isEmpty = (fanOut: FanOutCounts): boolean =>
  fanOut.enqueued === 0 && fanOut.invalid === 0 && fanOut.cut === undefined && fanOut.throttled === undefined;

/** The ids of empty cycles not yet removed, beside the queue's own keys. */
const emptyCyclesKey = (queues: Pick<Queues, 'cycles'>): string => queues.cycles.toKey('empty-cycles');

/** A cycle cannot remove itself while it runs: it is recorded, counted, and removed by the next cycle. */
async function markEmpty(job: CycleJob, queues: Pick<Queues, 'cycles' | 'redis'>): Promise<void> {
  cyclesEmpty.add(1);
  await queues.redis.sadd(emptyCyclesKey(queues), String(job.id));
}

/**
 * Removes the empty cycles recorded earlier, so at most the latest shows. One still running (a worker
 * that stalled) answers 0 and is tried again by the next cycle; one already gone answers 1.
 */
async function removeEmptyCycles(queues: Pick<Queues, 'cycles' | 'redis'>, log: Logger): Promise<void> {
  const key = emptyCyclesKey(queues);
  for (const id of await queues.redis.smembers(key)) {
    const removed = await queues.cycles.remove(id, { removeChildren: false });
    if (removed === 0) continue;
    if (removed !== 1)
      log.warn('an empty cycle cannot be removed; it stays until retention removes it', { cycleId: id, code: removed });
    await queues.redis.srem(key, id);
  }
}

/** Pages are fanned out as they arrive, so memory stays flat however many orders are registered. */
async function fanOutOrders(job: CycleJob, deps: CycleDeps, log: Logger): Promise<FanOutCounts> {
  const counts: FanOutCounts = { fetched: 0, enqueued: 0, skipped: 0, invalid: 0, pages: 0 };
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  const limit = deps.health?.fanOutLimit();
  if (limit !== undefined) {
    counts.throttled = true;
    cyclesThrottled.add(1);
    log.warn('upstream keeps failing: this cycle adds only a probe of orders (backpressure)', {
      probe: limit,
      ...deps.health?.recent(),
    });
  }
  // Counted from the start of this pass: children that finished before it had left the list before it was read.
  const finishedAtStart = await finishedChildren(job);
  // Every id this pass has listed: pages overlap by design (see nextSkip), and an Order API that
  // ignores skip would otherwise be paged for ever.
  const seen = new Set<number>();
  for (let listed = 0; ; ) {
    const skip = listed === 0 ? 0 : nextSkip(listed, (await finishedChildren(job)) - finishedAtStart);
    const listedAt = Date.now();
    const page = await deps.orderApi.listRegistered(skip, deps.pageSize);
    counts.pages += 1;
    counts.invalid += page.invalid.length;
    for (const bad of page.invalid)
      log.warn('order list element breaks the contract; not processed', { reason: bad.reason });
    const fresh = page.orders.filter((order) => !seen.has(order.id)).slice(0, deps.maxOrders - seen.size);
    for (const order of fresh) seen.add(order.id);
    counts.fetched += fresh.length;
    const registered = fresh
      .filter((order) => order.status === 'registered')
      .slice(0, limit === undefined ? undefined : Math.max(limit - counts.enqueued, 0));
    if (registered.length > 0) {
      const { added, skipped, registeredAgain } = await inMessageSpan(
        {
          operation: 'send',
          queue: deps.queues.orders.name,
          attributes: { 'messaging.batch.message_count': registered.length },
        },
        () =>
          enqueueOrders(
            deps.queues,
            registered,
            { parent, ignoreDependencyOnFailure: true },
            { trace: currentCarrier() },
            { at: listedAt, keepMs: deps.listingKeepMs },
          ),
      );
      counts.enqueued += added.length;
      counts.skipped += skipped.length;
      await reportRegisteredAgain(deps, registeredAgain, listedAt, log);
    }
    if (page.size < deps.pageSize || (limit !== undefined && counts.enqueued >= limit)) return counts;
    const stop = pageLimit(page.size, fresh.length, seen.size, deps.maxOrders);
    if (stop !== undefined) {
      cyclesCut.add(1, { reason: stop });
      log.warn(STOPS[stop], { skip, pageSize: deps.pageSize, listed: seen.size, maxOrders: deps.maxOrders });
      return { ...counts, cut: stop };
    }
    listed += page.size;
  }
}

/**
 * An order whose job completed (its status written) is listed registered again: someone set it back,
 * or the Order API lost the update or reused the id. Processing it again might take stock twice, so it
 * is not done by itself: it is said once with the facts, counted, and listed for a person, whose
 * replay lets the decrease ledger decide.
 */
async function reportRegisteredAgain(
  deps: CycleDeps,
  orders: readonly RegisteredAgain[],
  listedAt: number,
  log: Logger,
): Promise<void> {
  for (const { orderId, jobId, first } of orders) {
    if (!first) continue;
    ordersRegisteredAgain.add(1);
    const job = await deps.queues.orders.getJob(jobId);
    log.warn('an order whose job completed is registered again; it waits for a person (ordermanagement replay)', {
      orderId,
      jobId,
      jobFinishedAt: job?.finishedOn === undefined ? undefined : new Date(job.finishedOn).toISOString(),
      jobResult: job?.returnvalue,
      listedAt: new Date(listedAt).toISOString(),
    });
  }
}

const STOPS: Record<PassCut, string> = {
  'nothing-new':
    'the Order API answered a full page of orders this cycle had already listed (does it ignore skip?); the cycle stops listing here, the next one goes on',
  'max-orders': 'the cycle listed MAX_ORDERS_PER_CYCLE orders; the rest wait for the next cycle',
};

/** Children that completed: their orders have left `registered` (failed ones may still be there). */
async function finishedChildren(job: CycleJob): Promise<number> {
  return (await job.getDependenciesCount({ processed: true })).processed ?? 0;
}

/**
 * Counts the children's outcomes a page at a time: reading them all at once would hold every
 * child's result in memory, and a cycle may have hundreds of thousands.
 */
async function collectOutcomes(job: CycleJob, pageSize: number): Promise<CycleResult['outcomes']> {
  const outcomes: CycleResult['outcomes'] = {
    shipped: 0,
    blocked: 0,
    closed: 0,
    skipped: 0,
    vanished: 0,
    failed: 0,
  };
  // HSCAN may return a key twice; the set of keys keeps each child counted once.
  const counted = new Set<string>();
  let cursor = 0;
  do {
    const page = await job.getDependencies({ processed: { cursor, count: pageSize } });
    for (const [key, value] of Object.entries(page.processed ?? {})) {
      if (counted.has(key)) continue;
      counted.add(key);
      outcomes[(value as ProcessOrderResult).outcome] += 1;
    }
    cursor = Number(page.nextProcessedCursor ?? 0);
  } while (cursor !== 0);
  outcomes.failed = (await job.getDependenciesCount({ ignored: true })).ignored ?? 0;
  return outcomes;
}
