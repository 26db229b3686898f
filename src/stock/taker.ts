import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, context } from '@opentelemetry/api';
import type { Order, Outcome, WoodType } from '../domain/order.ts';
import { coerceError, DecreaseInDoubt, LedgerLost, ShuttingDown, StockLockTimeout } from '../errors.ts';
import { firstRecording } from '../telemetry/tracing.ts';
import { takeAlone } from './alone.ts';
import type { StockContext, StockTakerOptions } from './context.ts';
import { decreaseUnderLock } from './holding.ts';
import type { LockHold, StockLock } from './lock.ts';

export type { StockTakerOptions } from './context.ts';

/** How often a batch held back by the spacing looks whether the Order API still has status updates queued. */
const HOLD_CHECK_MS = 50;

export interface StockTaker {
  /**
   * Takes the order's stock at most once, whatever attempts, replays or crashes came before, and
   * resolves with its outcome. Throws DecreaseNeedsPerson when only a person can tell whether an
   * earlier decrease happened, and retryable errors (nothing taken, or in doubt) otherwise.
   */
  take(order: Order): Promise<Outcome>;
  /** Refuses new orders and hands back those waiting for a lock: their decrease was never sent. */
  close(): void;
}

interface Waiter {
  readonly order: Order;
  readonly deadline: number;
  /** The caller's trace context: the batch's requests are made in the first that records. */
  readonly context: Context;
  resolve(outcome: Outcome): void;
  reject(error: Error): void;
}

/**
 * Takes stock for orders through the decrease ledger. With a lock, the callers of one process queue
 * per wood type, and only the head of each queue asks Redis for the lock: a worker with hundreds of
 * jobs in flight would otherwise poll Redis with every one of them.
 */
export function createStockTaker(options: StockTakerOptions): StockTaker {
  const closing = new AbortController();
  const ctx: StockContext = { ...options, closing: closing.signal };
  const { lock } = options;
  const queues = new Map<WoodType, Waiter[]>();

  /** Takes the lock for the waiters of a wood type, dropping those whose wait ran out. */
  async function acquire(stockLock: StockLock, woodType: WoodType, waiters: Waiter[]): Promise<LockHold | undefined> {
    let pause = 2;
    for (;;) {
      const now = Date.now();
      for (const waiter of waiters.filter((w) => w.deadline < now)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.reject(new StockLockTimeout(`waited ${options.waitMs} ms for the ${woodType} stock lock`));
      }
      if (closing.signal.aborted) {
        for (const waiter of waiters.splice(0)) {
          waiter.reject(new ShuttingDown('the worker is shutting down; the decrease was not sent'));
        }
      }
      if (waiters.length === 0) return undefined;
      const hold = await stockLock.tryAcquire(woodType);
      if (hold) return hold;
      // Jittered, growing pauses: the replicas' heads do not poll Redis in lockstep.
      await sleep(pause / 2 + options.random() * pause, undefined, { signal: closing.signal }).catch(() => {});
      pause = Math.min(pause * 2, 50);
    }
  }

  /** When this process last sent a decrease of each wood type (performance.now()). */
  const lastSent = new Map<WoodType, number>();
  /** Wakes a wood type's drain that waits out the spacing, once a full batch waits. */
  const wakers = new Map<WoodType, () => void>();
  /** Each order being taken now: a second take of it (its job run again by this process) joins the first. */
  const taking = new Map<number, Promise<Outcome>>();

  /**
   * Waits out the spacing since the wood type's last decrease, while the orders would wait anyway
   * (their status updates queue for the Order API) and no full batch waits. Otherwise it would only
   * add latency, and cap a worker at its concurrency per spacing: the queue is looked at again every
   * HOLD_CHECK_MS, and the batch leaves while a round of requests still waits there.
   */
  async function spaced(woodType: WoodType, waiters: readonly Waiter[]): Promise<void> {
    // A held order keeps at least half of its lock wait (STOCK_LOCK_WAIT_MS) for the lock itself.
    const patience = ((waiters[0]?.deadline ?? Number.POSITIVE_INFINITY) - Date.now()) / 2;
    const due = Math.min(
      (lastSent.get(woodType) ?? Number.NEGATIVE_INFINITY) + options.batchSpacingMs,
      performance.now() + patience,
    );
    const full = new AbortController();
    const signal = AbortSignal.any([closing.signal, full.signal]);
    wakers.set(woodType, () => full.abort());
    while (!signal.aborted && waiters.length < options.maxBatch && options.holdBatches()) {
      const wait = due - performance.now();
      if (wait <= 0) break;
      await sleep(Math.min(wait, HOLD_CHECK_MS), undefined, { signal }).catch(() => {});
    }
    wakers.delete(woodType);
  }

  /**
   * Runs the batches of one wood type, one holding of the lock each, until no order waits. Batches
   * leave at most one per `batchSpacingMs`: the orders that arrive meanwhile go in the next.
   */
  async function drain(stockLock: StockLock, woodType: WoodType, waiters: Waiter[]): Promise<void> {
    try {
      while (waiters.length > 0) {
        await spaced(woodType, waiters);
        let hold: LockHold | undefined;
        try {
          hold = await acquire(stockLock, woodType, waiters);
        } catch (error) {
          for (const waiter of waiters.splice(0)) waiter.reject(coerceError(error));
        }
        if (hold === undefined) continue;
        const batch = waiters.splice(0, options.maxBatch).sort((a, b) => a.order.id - b.order.id);
        lastSent.set(woodType, performance.now());
        try {
          const traces = new Map(batch.map((waiter) => [waiter.order.id, waiter.context]));
          const orders = batch.map((waiter) => waiter.order);
          const results = await context.with(firstRecording(batch.map((waiter) => waiter.context)), () =>
            decreaseUnderLock(ctx, hold, woodType, orders, traces),
          );
          for (const waiter of batch) {
            const result = results.get(waiter.order.id) ?? new DecreaseInDoubt(`order ${waiter.order.id}: no outcome`);
            if (result instanceof Error) waiter.reject(result);
            else waiter.resolve(result);
          }
        } catch (error) {
          for (const waiter of batch) waiter.reject(coerceError(error));
        } finally {
          // The ledger already holds the truth: a release that fails only leaves the lease to run out.
          await stockLock
            .release(hold)
            .catch((err: unknown) =>
              options.logger.warn('could not release a stock lock; its lease will', { woodType, err }),
            );
        }
      }
    } finally {
      queues.delete(woodType);
    }
  }

  /** Queues the order for its wood type's next batch. */
  function enqueue(stockLock: StockLock, order: Order): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const waiter: Waiter = {
        order,
        deadline: Date.now() + options.waitMs,
        context: context.active(),
        resolve,
        reject,
      };
      const waiting = queues.get(order.woodType);
      if (waiting) {
        waiting.push(waiter);
        if (waiting.length >= options.maxBatch) wakers.get(order.woodType)?.();
        return;
      }
      const fresh = [waiter];
      queues.set(order.woodType, fresh);
      void drain(stockLock, order.woodType, fresh);
    });
  }

  return {
    take(order) {
      if (closing.signal.aborted) return Promise.reject(new ShuttingDown('the worker is shutting down'));
      if (options.epoch.lost) {
        return Promise.reject(
          new LedgerLost('Redis lost the decrease ledger; no stock is taken until a person accepts it'),
        );
      }
      // The same order twice at once (a job whose lock expired while it waited, fetched again by this
      // process): one decrease, whose outcome both get.
      const already = taking.get(order.id);
      if (already) return already;
      const taken = lock === undefined ? takeAlone(ctx, order) : enqueue(lock, order);
      taking.set(order.id, taken);
      const forget = () => taking.delete(order.id);
      taken.then(forget, forget);
      return taken;
    },
    close() {
      closing.abort();
    },
  };
}
