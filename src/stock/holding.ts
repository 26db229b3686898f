import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import { describeDoubt, fitInOrder, type Level, outcomeOf } from '../domain/decrease.ts';
import type { Order, Outcome, WoodType } from '../domain/order.ts';
import { coerceError, DecreaseInDoubt, DecreaseNeedsPerson, WoodTypeStalled } from '../errors.ts';
import { inDecreaseSpan } from '../telemetry/tracing.ts';
import type { StockContext } from './context.ts';
import type { Recorded } from './ledger.ts';
import type { LockHold } from './lock.ts';
import { lostLock, resolveInDoubt } from './resolve.ts';
import { sendEntry } from './send.ts';

/** Rounds (read the level, resolve a doubt, send) one holding of a lock makes before it hands the orders back. */
const MAX_ROUNDS = 5;

/** Per order of a batch: its outcome, or why it has none. */
export type Results = Map<number, Outcome | Error>;

export const newEntry = (ctx: StockContext) => ({ id: randomUUID(), needLevel: !ctx.keysHonoured, sentBy: ctx.name });

export async function personError(ctx: StockContext, orderId: number): Promise<DecreaseNeedsPerson> {
  const entry = (await ctx.ledger.order(orderId))?.entry;
  return new DecreaseNeedsPerson(entry ? describeDoubt(entry) : `order ${orderId}: its decrease waits for a person`);
}

/** What an order's earlier record means for it now. */
export async function fromRecord(ctx: StockContext, recorded: Recorded): Promise<Outcome | Error> {
  if (recorded.state === 'taken') return 'shipped';
  if (recorded.state === 'refused' && recorded.outcome) return recorded.outcome;
  if (recorded.state === 'person') return personError(ctx, recorded.orderId);
  return new DecreaseInDoubt(`order ${recorded.orderId}: an earlier decrease is in doubt and not resolved yet`);
}

/**
 * Sends one request for `orders` (those without a record yet) and settles it, going round until each
 * order has an outcome in `results`: resolving a doubt of the wood type first, reading its level if
 * unknown, sending again what the level showed was not taken. Returns the orders a batch could not
 * all get (400 Insufficient stock for more than one order): nothing was taken for them.
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
    // Measured before the entry is written: a request that has not left by then is never sent.
    const deadline = performance.now() + ctx.requestTimeoutMs;
    const begun = await ctx.ledger.begin(hold, woodType, open, newEntry(ctx));
    if (begun.kind === 'lost') throw lostLock(woodType);
    if (begun.kind === 'level') {
      await readLevel(ctx, hold, woodType);
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
      () => sendEntry(ctx, entry, deadline),
    );
    if (answer.kind === 'uncertain') {
      // Resolved while the lock is still held; the next round reads what it decided (or sends again).
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

async function readLevel(ctx: StockContext, hold: LockHold, woodType: WoodType): Promise<Level> {
  if (!(await ctx.lock?.extend(hold))) throw lostLock(woodType);
  const level = await ctx.stockApi.level(woodType);
  await ctx.ledger.setLevel(hold, woodType, level);
  return level;
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
