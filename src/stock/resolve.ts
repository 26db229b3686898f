import { setTimeout as sleep } from 'node:timers/promises';
import { type DecreaseEntry, type Level, resolveByLevel } from '../domain/decrease.ts';
import { DecreaseInDoubt, ShuttingDown, StockLockTimeout } from '../errors.ts';
import { decreasesInDoubt } from '../telemetry/metrics.ts';
import { SETTLE_MARGIN_MS, type StockContext, settleDelayMs } from './context.ts';
import type { LockHold } from './lock.ts';
import { sendEntry } from './send.ts';

export const lostLock = (woodType: string) =>
  new StockLockTimeout(`lost the ${woodType} stock lock (its lease ran out); nothing was sent`);

/**
 * Waits `ms` while holding the lock, renewing its lease as it goes: a doubt may take longer to
 * settle than one lease. Unless the worker is closing: then the attempt is handed back, the doubt
 * left for the next holder.
 */
async function waitHolding(ctx: StockContext, hold: LockHold, entry: DecreaseEntry, ms: number): Promise<void> {
  for (let left = ms; left > 0; ) {
    const step = Math.min(left, hold.leaseMs / 3);
    const started = performance.now();
    try {
      await sleep(step, undefined, { signal: ctx.closing });
    } catch {
      throw new ShuttingDown(
        'the worker is shutting down; a decrease in doubt is left for the next holder of the lock',
      );
    }
    if (!(await ctx.lock?.extend(hold))) throw lostLock(entry.woodType);
    left -= performance.now() - started;
  }
}

/**
 * From when (Redis' clock) an entry may be judged "not taken": once the Stock API cannot still be
 * applying it (its deadline plus STOCK_LATE_DECREASE_MS), and, for one whose sender never marked it
 * (it vanished or paused before the answer), once that sender's lease has lapsed by a margin.
 */
export function judgeableAt(ctx: StockContext, hold: LockHold, entry: DecreaseEntry): number {
  return entry.settleAt ?? entry.sentAt + Math.max(settleDelayMs(ctx), hold.leaseMs + SETTLE_MARGIN_MS);
}

/**
 * Settles the wood type's decrease in doubt while its lock is held. With keys honoured it is sent
 * again under its key. Otherwise the level tells, since only this decrease can have moved it since
 * the level before was read: a level that already shows it taken is final at once; any other is
 * read again once the Stock API is sure to be done with the request, reckoned on Redis' clock (`now`)
 * so that workers' clocks may differ.
 */
export async function resolveInDoubt(
  ctx: StockContext,
  hold: LockHold,
  entry: DecreaseEntry,
  now: number,
): Promise<void> {
  const { ledger, stockApi, logger } = ctx;
  if (!(await ctx.lock?.extend(hold))) throw lostLock(entry.woodType);
  if (ctx.keysHonoured) {
    decreasesInDoubt.add(1, { result: 'resent' });
    const answer = await sendEntry(ctx, { entry, deadline: performance.now() + ctx.requestTimeoutMs, resent: true });
    if (answer.kind === 'uncertain')
      throw new DecreaseInDoubt(`decrease ${entry.id} is still in doubt: ${answer.entry.doubt}`);
    return;
  }
  const judge = (level: Level) =>
    entry.levelBefore === undefined ? 'ambiguous' : resolveByLevel(entry.levelBefore, entry.quantity, level);
  const waitFrom = performance.now();
  // A first look that fails only means waiting for the second.
  let found = await stockApi.level(entry.woodType).catch(() => undefined);
  if (found === undefined || judge(found) !== 'taken') {
    await waitHolding(ctx, hold, entry, judgeableAt(ctx, hold, entry) - now - (performance.now() - waitFrom));
    found = await stockApi.level(entry.woodType);
  }
  const resolution = judge(found);
  const facts = {
    decrease: entry.id,
    woodType: entry.woodType,
    quantity: entry.quantity,
    orders: entry.orders,
    levelBefore: entry.levelBefore,
    levelFound: found,
  };
  decreasesInDoubt.add(1, { result: resolution === 'ambiguous' ? 'person' : resolution });
  if (resolution === 'taken') {
    await ledger.settle(entry, { result: 'taken', level: found }, { stat: 'resolvedTaken', levelFound: found });
    logger.info('decrease in doubt resolved by the level: taken', facts);
  } else if (resolution === 'not-taken') {
    await ledger.settle(
      entry,
      { result: 'not-taken', judged: true, level: found },
      { stat: 'resolvedNotTaken', levelFound: found },
    );
    logger.info('decrease in doubt resolved by the level: not taken', facts);
  } else {
    await ledger.settle(entry, { result: 'person', level: found }, { stat: 'toPerson', levelFound: found });
    logger.error('decrease in doubt: the level moved for another reason too; a person must decide', facts);
  }
}
