import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, context } from '@opentelemetry/api';
import type { StockApi } from './clients/stock-api.ts';
import {
  type DecreaseAnswer,
  type DecreaseEntry,
  describeDoubt,
  type Level,
  resolveByLevel,
} from './domain/decrease.ts';
import type { Order, Outcome, WoodType } from './domain/order.ts';
import {
  coerceError,
  DecreaseInDoubt,
  DecreaseNeedsPerson,
  ShuttingDown,
  StockLockTimeout,
  UpstreamError,
} from './errors.ts';
import type { Ledger, Recorded } from './ledger.ts';
import type { Logger } from './logger.ts';
import type { Random } from './random.ts';
import type { LockHold, StockLock } from './stock-lock.ts';
import { decreasesInDoubt } from './telemetry/metrics.ts';

/** After a request's deadline, how much longer an upstream may still be finishing it. */
export const SETTLE_MARGIN_MS = 1000;

/** Rounds (read the level, resolve a doubt, send) one holding of a lock makes before it hands the orders back. */
const MAX_ROUNDS = 5;

export interface StockTakerOptions {
  readonly stockApi: StockApi;
  readonly ledger: Ledger;
  /** Serializes decreases per wood type (SERIALIZE_STOCK_DECREASES); absent for atomic upstreams. */
  readonly lock: StockLock | undefined;
  /** How long an order may wait for its wood type's lock (STOCK_LOCK_WAIT_MS). */
  readonly waitMs: number;
  /** The most one request may take (HTTP_TIMEOUT_MS): an answer in doubt is settled this long after it left. */
  readonly requestTimeoutMs: number;
  /** The Stock API dedupes decreases by Idempotency-Key: one in doubt is sent again under its key. */
  readonly keysHonoured: boolean;
  /** Orders one request may cover. */
  readonly maxBatch: number;
  /** This worker's name (host:pid), recorded on each entry it sends. */
  readonly name: string;
  readonly random: Random;
  readonly logger: Logger;
}

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
  /** The caller's trace context: the batch's requests are made in its head's. */
  readonly context: Context;
  resolve(outcome: Outcome): void;
  reject(error: Error): void;
}

/** Per order of a batch: its outcome, or why it has none. */
type Results = Map<number, Outcome | Error>;

export function createStockTaker(options: StockTakerOptions): StockTaker {
  const { stockApi, ledger, lock, logger } = options;
  const queues = new Map<WoodType, Waiter[]>();
  const closing = new AbortController();

  const newEntry = () => ({
    id: randomUUID(),
    now: Date.now(),
    needLevel: !options.keysHonoured,
    sentBy: options.name,
  });

  async function personError(orderId: number): Promise<DecreaseNeedsPerson> {
    const entry = (await ledger.order(orderId))?.entry;
    return new DecreaseNeedsPerson(entry ? describeDoubt(entry) : `order ${orderId}: its decrease waits for a person`);
  }

  /** What an order's earlier record means for it now. */
  async function fromRecord(recorded: Recorded): Promise<Outcome | Error> {
    if (recorded.state === 'taken') return 'shipped';
    if (recorded.state === 'refused' && recorded.outcome) return recorded.outcome;
    if (recorded.state === 'person') return personError(recorded.orderId);
    return new DecreaseInDoubt(`order ${recorded.orderId}: an earlier decrease is in doubt and not resolved yet`);
  }

  /**
   * From when the Stock API is sure to be done with a decrease in doubt: at once if it answered
   * itself, else once the request's deadline and a margin have passed (a gateway's 504, a lost
   * connection, a worker that died mid-call: the service may still be working on it).
   */
  const settleAtFor = (entry: DecreaseEntry, serviceAnswered: boolean) =>
    serviceAnswered ? Date.now() : entry.sentAt + options.requestTimeoutMs + SETTLE_MARGIN_MS;

  /** Records a definitive answer; an answer in doubt is marked and returned for the caller to resolve. */
  async function record(entry: DecreaseEntry, answer: DecreaseAnswer, resent: boolean): Promise<DecreaseAnswer> {
    const now = Date.now();
    if (answer.kind === 'taken') {
      await ledger.settle(
        entry,
        { result: 'taken', level: answer.level },
        { now, ...(resent ? { stat: 'resentWithKey' } : {}) },
      );
    } else if (answer.kind === 'refused') {
      const level = answer.outcome === 'closed' ? 'none' : 'keep';
      await ledger.settle(entry, { result: 'refused', outcome: answer.outcome, level }, { now });
    } else {
      await ledger.markInDoubt(entry, answer.reason, settleAtFor(entry, answer.serviceAnswered));
      logger.warn('stock decrease in doubt; it is resolved before the next of its wood type', {
        decrease: entry.id,
        woodType: entry.woodType,
        orders: entry.orders,
        reason: answer.reason,
      });
    }
    return answer;
  }

  /** Sends the entry's request; an answer that proves nothing was taken removes the entry and throws. */
  async function send(entry: DecreaseEntry, resent = false): Promise<DecreaseAnswer> {
    let answer: DecreaseAnswer;
    try {
      answer = await stockApi.decrease(entry.woodType, entry.quantity, entry.id);
    } catch (error) {
      if (error instanceof UpstreamError) {
        await ledger.settle(entry, { result: 'not-taken', level: 'keep' }, { now: Date.now() });
      }
      throw error;
    }
    return record(entry, answer, resent);
  }

  /**
   * Settles the wood type's decrease in doubt while its lock is held. With keys honoured it is sent
   * again under its key. Otherwise the level tells, since only this decrease can have moved it since
   * the level before was known: a level that already shows it taken is final at once; any other is
   * read again once the Stock API is sure to be done with the request (it may still be applying it).
   */
  async function resolve(hold: LockHold, entry: DecreaseEntry): Promise<void> {
    if (!(await lock?.extend(hold))) throw lostLock(entry.woodType);
    if (options.keysHonoured) {
      decreasesInDoubt.add(1, { result: 'resent' });
      const answer = await send(entry, true);
      if (answer.kind === 'uncertain')
        throw new DecreaseInDoubt(`decrease ${entry.id} is still in doubt: ${answer.reason}`);
      return;
    }
    const judge = (level: Level) =>
      entry.levelBefore === undefined ? 'ambiguous' : resolveByLevel(entry.levelBefore, entry.quantity, level);
    // A first look that fails only means waiting for the second.
    let found = await stockApi.level(entry.woodType).catch(() => undefined);
    const settleAt = entry.settleAt ?? settleAtFor(entry, false);
    if (found === undefined || (judge(found) !== 'taken' && Date.now() < settleAt)) {
      // The lease outlasts one request, and so the wait for one to settle (see the configuration).
      if (!(await lock?.extend(hold))) throw lostLock(entry.woodType);
      await pause(settleAt - Date.now());
      if (!(await lock?.extend(hold))) throw lostLock(entry.woodType);
      found = await stockApi.level(entry.woodType);
    }
    const resolution = judge(found);
    const now = Date.now();
    const facts = { decrease: entry.id, woodType: entry.woodType, quantity: entry.quantity, orders: entry.orders };
    decreasesInDoubt.add(1, { result: resolution === 'ambiguous' ? 'person' : resolution });
    if (resolution === 'taken') {
      await ledger.settle(entry, { result: 'taken', level: found }, { now, stat: 'resolvedTaken', levelFound: found });
      logger.info('decrease in doubt resolved by the level: taken', {
        ...facts,
        levelBefore: entry.levelBefore,
        level: found,
      });
      return;
    }
    if (resolution === 'not-taken') {
      await ledger.settle(entry, { result: 'not-taken', level: found }, { now, stat: 'resolvedNotTaken' });
      logger.info('decrease in doubt resolved by the level: not taken', { ...facts, level: found });
      return;
    }
    await ledger.settle(entry, { result: 'person', level: found }, { now, stat: 'toPerson', levelFound: found });
    logger.error('decrease in doubt: the level moved for another reason too; a person must decide', {
      ...facts,
      levelBefore: entry.levelBefore,
      level: found,
    });
  }

  /** Waits, unless the worker is closing: then the attempt is handed back. */
  async function pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: closing.signal });
    } catch {
      throw new ShuttingDown(
        'the worker is shutting down; a decrease in doubt is left for the next holder of the lock',
      );
    }
  }

  const lostLock = (woodType: WoodType) =>
    new StockLockTimeout(`lost the ${woodType} stock lock (its lease ran out); nothing was sent`);

  /** One holding of the lock: resolve what is in doubt, then decrease for the batch. */
  async function underLock(hold: LockHold, woodType: WoodType, batch: readonly Order[]): Promise<Results> {
    const results: Results = new Map();
    let open = [...batch];
    for (let round = 0; open.length > 0; round++) {
      if (round >= MAX_ROUNDS) {
        for (const order of open) {
          results.set(
            order.id,
            new DecreaseInDoubt(`order ${order.id}: not decided within one holding of the stock lock`),
          );
        }
        break;
      }
      const begun = await ledger.begin(hold, woodType, open, newEntry());
      if (begun.kind === 'lost') throw lostLock(woodType);
      if (begun.kind === 'level') {
        if (!(await lock?.extend(hold))) throw lostLock(woodType);
        await ledger.setLevel(hold, woodType, await stockApi.level(woodType));
        continue;
      }
      if (begun.kind === 'resolve') {
        await resolve(hold, begun.entry);
        continue;
      }
      for (const recorded of begun.recorded) results.set(recorded.orderId, await fromRecord(recorded));
      if (begun.kind === 'none') break;
      const { entry } = begun;
      const answer = await send(entry);
      const sent = open.filter((order) => entry.orders.includes(order.id));
      open = [];
      if (answer.kind === 'taken') for (const order of sent) results.set(order.id, 'shipped');
      else if (answer.kind === 'refused') for (const order of sent) results.set(order.id, answer.outcome);
      else {
        // Resolved while the lock is still held; the next round reads what it decided (or sends again).
        await resolve(hold, { ...entry, doubt: answer.reason, settleAt: settleAtFor(entry, answer.serviceAnswered) });
        open = sent;
      }
    }
    return results;
  }

  /** Without a lock (an atomic Stock API): each order alone; a decrease in doubt is resent with keys, else goes to a person. */
  async function takeAlone(order: Order): Promise<Outcome> {
    const begun = await ledger.begin(undefined, order.woodType, [order], newEntry());
    const [recorded] = begun.kind === 'none' ? begun.recorded : [];
    let entry = begun.kind === 'send' ? begun.entry : undefined;
    if (recorded?.state === 'pending') entry = (await ledger.order(order.id))?.entry;
    else if (recorded) return settled(await fromRecord(recorded));
    if (entry === undefined) throw new DecreaseInDoubt(`order ${order.id}: its ledger entry is unreadable`);
    if (recorded !== undefined && !options.keysHonoured) {
      await ledger.markInDoubt(entry, 'an earlier attempt stopped before the answer', Date.now());
    } else {
      const answer = await send(entry, recorded !== undefined);
      if (answer.kind === 'taken') return 'shipped';
      if (answer.kind === 'refused') return answer.outcome;
      if (options.keysHonoured) {
        throw new DecreaseInDoubt(
          `order ${order.id}: decrease in doubt (${answer.reason}); it is sent again under its key`,
        );
      }
    }
    await ledger.settle(entry, { result: 'person', level: 'keep' }, { now: Date.now(), stat: 'toPerson' });
    decreasesInDoubt.add(1, { result: 'person' });
    throw await personError(order.id);
  }

  /** Takes the lock for the waiters of a wood type, dropping those whose wait ran out. */
  async function acquire(woodType: WoodType, waiters: Waiter[]): Promise<LockHold | undefined> {
    let pause = 2;
    for (;;) {
      const now = Date.now();
      for (const waiter of waiters.filter((w) => w.deadline < now)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.reject(new StockLockTimeout(`waited ${options.waitMs} ms for the ${woodType} stock lock`));
      }
      if (closing.signal.aborted) {
        for (const waiter of waiters.splice(0))
          waiter.reject(new ShuttingDown('the worker is shutting down; the decrease was not sent'));
      }
      if (waiters.length === 0) return undefined;
      const hold = await lock?.tryAcquire(woodType);
      if (hold) return hold;
      // Jittered, growing pauses: the replicas' heads do not poll Redis in lockstep.
      await sleep(pause / 2 + options.random() * pause, undefined, { signal: closing.signal }).catch(() => {});
      pause = Math.min(pause * 2, 50);
    }
  }

  /** Runs the batches of one wood type, one holding of the lock each, until no order waits. */
  async function drain(woodType: WoodType, waiters: Waiter[]): Promise<void> {
    try {
      while (waiters.length > 0) {
        let hold: LockHold | undefined;
        try {
          hold = await acquire(woodType, waiters);
        } catch (error) {
          for (const waiter of waiters.splice(0)) waiter.reject(coerceError(error));
        }
        if (hold === undefined) continue;
        const batch = waiters.splice(0, options.maxBatch).sort((a, b) => a.order.id - b.order.id);
        try {
          const results = await context.with((batch[0] as Waiter).context, () =>
            underLock(
              hold,
              woodType,
              batch.map((waiter) => waiter.order),
            ),
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
          await lock
            ?.release(hold)
            .catch((err: unknown) => logger.warn('could not release a stock lock; its lease will', { woodType, err }));
        }
      }
    } finally {
      queues.delete(woodType);
    }
  }

  return {
    take(order) {
      if (closing.signal.aborted) return Promise.reject(new ShuttingDown('the worker is shutting down'));
      if (lock === undefined) return takeAlone(order);
      return new Promise<Outcome>((resolve, reject) => {
        const waiter: Waiter = {
          order,
          deadline: Date.now() + options.waitMs,
          context: context.active(),
          resolve,
          reject,
        };
        const waiting = queues.get(order.woodType);
        if (waiting) return void waiting.push(waiter);
        const fresh = [waiter];
        queues.set(order.woodType, fresh);
        void drain(order.woodType, fresh);
      });
    },
    close() {
      closing.abort();
    },
  };
}

function settled(result: Outcome | Error): Outcome {
  if (result instanceof Error) throw result;
  return result;
}
