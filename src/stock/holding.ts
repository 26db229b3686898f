import { randomUUID } from 'node:crypto';
import { describeDoubt, outcomeOf } from '../domain/decrease.ts';
import type { Order, Outcome, WoodType } from '../domain/order.ts';
import { coerceError, DecreaseInDoubt, DecreaseNeedsPerson, WoodTypeStalled } from '../errors.ts';
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
 * One holding of a wood type's lock: resolve the decrease in doubt, if any; read the level, if not
 * known; then decrease for the batch in one request.
 */
export async function decreaseUnderLock(
  ctx: StockContext,
  hold: LockHold,
  woodType: WoodType,
  batch: readonly Order[],
): Promise<Results> {
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
    // Measured before the entry is written: a request that has not left by then is never sent.
    const deadline = performance.now() + ctx.requestTimeoutMs;
    const begun = await ctx.ledger.begin(hold, woodType, open, newEntry(ctx));
    if (begun.kind === 'lost') throw lostLock(woodType);
    if (begun.kind === 'level') {
      if (!(await ctx.lock?.extend(hold))) throw lostLock(woodType);
      await ctx.ledger.setLevel(hold, woodType, await ctx.stockApi.level(woodType));
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
    if (begun.kind === 'none') break;
    const { entry } = begun;
    const sent = open.filter((order) => entry.orders.includes(order.id));
    open = [];
    const answer = await sendEntry(ctx, entry, deadline);
    const outcome = answer.kind === 'uncertain' ? undefined : outcomeOf(answer);
    if (outcome !== undefined) for (const order of sent) results.set(order.id, outcome);
    else if (answer.kind === 'uncertain') {
      // Resolved while the lock is still held; the next round reads what it decided (or sends again).
      await resolveInDoubt(ctx, hold, answer.entry, answer.now);
      open = sent;
    }
  }
  return results;
}
