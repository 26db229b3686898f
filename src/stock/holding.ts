import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import { decidedBy, describeDoubt, fitInOrder, type Level, outcomeOf } from '../domain/decrease.ts';
import type { Order, Outcome, WoodType } from '../domain/order.ts';
import { coerceError, DecreaseInDoubt, DecreaseNeedsPerson, LedgerLost, WoodTypeStalled } from '../errors.ts';
import { inDecreaseSpan } from '../telemetry/tracing.ts';
import type { StockContext } from './context.ts';
import type { Begun, Recorded } from './ledger.ts';
import type { LockHold } from './lock.ts';
import { observeLevel } from './observe-level.ts';
import { lostLock, resolveInDoubt } from './resolve.ts';
import { sendEntry } from './send.ts';

/** Rounds (read the level, resolve a doubt, send) one holding of a lock makes before it hands the orders back. */
const MAX_ROUNDS = 5;

/** Per order of a batch: its outcome, or why it has none. */
export type Results = Map<number, Outcome | Error>;

export async function personError(ctx: StockContext, orderId: number): Promise<DecreaseNeedsPerson> {
  const entry = (await ctx.ledger.order(orderId))?.entry;
  return new DecreaseNeedsPerson(entry ? describeDoubt(entry) : `order ${orderId}: its decrease waits for a person`);
}

/** What an order's earlier record means for it now. */
export async function fromRecord(ctx: StockContext, recorded: Recorded): Promise<Outcome | Error> {
  const decided = decidedBy(recorded.state, recorded.outcome);
  if (decided === 'person') return personError(ctx, recorded.orderId);
  if (decided === undefined || decided === 'in-doubt')
    return new DecreaseInDoubt(`order ${recorded.orderId}: an earlier decrease is in doubt and not resolved yet`);
  return decided;
}

/** Writes the entry of a decrease about to be sent (see Ledger.begin), as this worker. */
export function begin(
  ctx: StockContext,
  hold: LockHold | undefined,
  woodType: WoodType,
  orders: readonly Order[],
  level: Level | undefined,
): Promise<Begun> {
  return ctx.ledger.begin({
    hold,
    woodType,
    orders,
    id: randomUUID(),
    level,
    needLevel: hold !== undefined && !ctx.keysHonoured,
    sentBy: ctx.name,
    epoch: ctx.epoch.id,
  });
}

/** The ledger is not the one this worker joined: decreases stop, unless a person accepted a loss meanwhile. */
export async function epochChanged(ctx: StockContext): Promise<void> {
  if (!(await ctx.epoch.lose()))
    throw new LedgerLost('Redis lost the decrease ledger; no stock is taken until a person accepts it');
}

/**
 * The level right before a decrease, read under the lock, so that an answer lost on the way is judged
 * against the stock as it was a request ago, not as an earlier answer left it.
 */
async function readLevel(ctx: StockContext, hold: LockHold, woodType: WoodType): Promise<Level> {
  if (!(await ctx.lock?.extend(hold))) throw lostLock(woodType);
  return ctx.stockApi.level(woodType);
}

/**
 * Sends one request for `orders` (those without a record yet) and settles it, going round until each
 * order has an outcome in `results`: resolving a doubt of the wood type first, reading its level,
 * sending again what the level showed was not taken. Returns the orders a batch could not all get
 * (400 Insufficient stock for more than one order): nothing was taken for them.
 */
async function decreaseOnce(
  ctx: StockContext,
  hold: LockHold,
  woodType: WoodType,
  orders: readonly Order[],
  results: Results,
  traces: ReadonlyMap<number, Context>,
): Promise<Order[]> {
  let open = [...orders];
  for (let round = 0; open.length > 0; round++) {
    if (round >= MAX_ROUNDS) {
      for (const order of open) {
        results.set(
          order.id,
          new DecreaseInDoubt(`order ${order.id}: not decided within one holding of the stock lock`),
        );
      }
      return [];
    }
    // A level that cannot be read stops nothing yet: a doubt of the wood type is still resolved (or
    // waited for) first; only a decrease that would be sent needs it.
    let unread: unknown;
    const level = ctx.keysHonoured
      ? undefined
      : await readLevel(ctx, hold, woodType).catch((error: unknown) => {
          unread = error;
          return undefined;
        });
    // Measured before the entry is written: a request that has not left by then is never sent.
    const deadline = performance.now() + ctx.requestTimeoutMs;
    const begun = await begin(ctx, hold, woodType, open, level);
    if (begun.kind === 'lost') throw lostLock(woodType);
    if (begun.kind === 'level') throw unread;
    if (begun.kind === 'epoch') {
      await epochChanged(ctx);
      continue;
    }
    if (begun.kind === 'resolve') {
      await resolveInDoubt(ctx, hold, begun.entry, begun.now).catch((error: unknown) => {
        const cause = coerceError(error);
        // This batch's own orders are in doubt themselves; the others wait for someone else's doubt.
        if (open.every((order) => begun.entry.orders.includes(order.id))) throw cause;
        throw new WoodTypeStalled(
          `the ${woodType} decrease ${begun.entry.id} in doubt is not resolved yet: ${cause.message}`,
          {
            cause,
          },
        );
      });
      continue;
    }
    for (const recorded of begun.recorded) results.set(recorded.orderId, await fromRecord(ctx, recorded));
    if (begun.kind === 'none') return [];
    await observeLevel(ctx, woodType, begun.previous, level);
    const { entry } = begun;
    const sent = open.filter((order) => entry.orders.includes(order.id));
    open = [];
    const answer = await inDecreaseSpan(
      {
        woodType,
        orders: sent.map((order) => order.id),
        quantity: entry.quantity,
        entry: entry.id,
        orderTraces: sent.map((order) => traces.get(order.id)).filter((trace) => trace !== undefined),
      },
      () => sendEntry(ctx, { entry, deadline }),
    );
    if (answer.kind === 'uncertain') {
      // Resolved at once, while the lock is still held: the next round reads what it decided (or sends again).
      await resolveInDoubt(ctx, hold, answer.entry, answer.now);
      open = sent;
    } else if (answer.kind === 'refused' && answer.outcome === 'blocked' && sent.length > 1) {
      return sent;
    } else {
      const outcome = outcomeOf(answer) as Outcome;
      for (const order of sent) results.set(order.id, outcome);
    }
  }
  return [];
}

/**
 * One holding of a wood type's lock: every order waiting for it is decreased in one request (the
 * sum of their quantities). When that is more than the stock, the outcomes are what taking them one
 * by one in ascending id order would have given: the level is read, the orders that fit what is left
 * are decreased together and the others blocked; should the level have moved meanwhile (a second
 * 400), the ones that fitted go one by one.
 */
export async function decreaseUnderLock(
  ctx: StockContext,
  hold: LockHold,
  woodType: WoodType,
  batch: readonly Order[],
  /** Each order's trace context, for the request's span to link to. */
  traces: ReadonlyMap<number, Context> = new Map(),
): Promise<Results> {
  const results: Results = new Map();
  const short = await decreaseOnce(ctx, hold, woodType, batch, results, traces);
  if (short.length === 0) return results;
  const level = await readLevel(ctx, hold, woodType);
  const { fit, blocked } = fitInOrder(short, level === 'none' ? 0 : level);
  for (const order of blocked) results.set(order.id, 'blocked');
  const moved = fit.length > 0 ? await decreaseOnce(ctx, hold, woodType, fit, results, traces) : [];
  for (const order of moved) await decreaseOnce(ctx, hold, woodType, [order], results, traces);
  return results;
}
