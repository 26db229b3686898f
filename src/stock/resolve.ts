import { setTimeout as sleep } from 'node:timers/promises';
import { type DecreaseEntry, type Level, resolveByLevel } from '../domain/decrease.ts';
import { DecreaseInDoubt, ShuttingDown, StockLockTimeout } from '../errors.ts';
import { decreasesInDoubt } from '../telemetry/metrics.ts';
import { SETTLE_MARGIN_MS, type StockContext } from './context.ts';
import type { LockHold } from './lock.ts';
import { sendEntry } from './send.ts';

export const lostLock = (woodType: string) =>
  new StockLockTimeout(`lost the ${woodType} stock lock (its lease ran out); nothing was sent`);

/** Waits, unless the worker is closing: then the attempt is handed back, the doubt left for the next holder. */
async function pause(ctx: StockContext, ms: number): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal: ctx.closing });
  } catch {
    throw new ShuttingDown('the worker is shutting down; a decrease in doubt is left for the next holder of the lock');
  }
}

/**
 * Settles the wood type's decrease in doubt while its lock is held. With keys honoured it is sent
 * again under its key. Otherwise the level tells, since only this decrease can have moved it since
 * the level before was known: a level that already shows it taken is final at once; any other is
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
    const answer = await sendEntry(ctx, entry, performance.now() + ctx.requestTimeoutMs, true);
    if (answer.kind === 'uncertain')
      throw new DecreaseInDoubt(`decrease ${entry.id} is still in doubt: ${answer.entry.doubt}`);
    return;
  }
  const judge = (level: Level) =>
    entry.levelBefore === undefined ? 'ambiguous' : resolveByLevel(entry.levelBefore, entry.quantity, level);
  const settleAt = entry.settleAt ?? entry.sentAt + ctx.requestTimeoutMs + SETTLE_MARGIN_MS;
  const waitFrom = performance.now();
  // A first look that fails only means waiting for the second.
  let found = await stockApi.level(entry.woodType).catch(() => undefined);
  if (found === undefined || judge(found) !== 'taken') {
    // The lease outlasts one request, and so the wait for one to settle (see the configuration).
    if (!(await ctx.lock?.extend(hold))) throw lostLock(entry.woodType);
    await pause(ctx, settleAt - now - (performance.now() - waitFrom));
    if (!(await ctx.lock?.extend(hold))) throw lostLock(entry.woodType);
    found = await stockApi.level(entry.woodType);
  }
  const resolution = judge(found);
  const facts = {
    decrease: entry.id,
    woodType: entry.woodType,
    quantity: entry.quantity,
    orders: entry.orders,
    levelBefore: entry.levelBefore,
    level: found,
  };
  decreasesInDoubt.add(1, { result: resolution === 'ambiguous' ? 'person' : resolution });
  if (resolution === 'taken') {
    await ledger.settle(entry, { result: 'taken', level: found }, { stat: 'resolvedTaken', levelFound: found });
    logger.info('decrease in doubt resolved by the level: taken', facts);
  } else if (resolution === 'not-taken') {
    await ledger.settle(entry, { result: 'not-taken', level: found }, { stat: 'resolvedNotTaken' });
    logger.info('decrease in doubt resolved by the level: not taken', facts);
  } else {
    await ledger.settle(entry, { result: 'person', level: found }, { stat: 'toPerson', levelFound: found });
    logger.error('decrease in doubt: the level moved for another reason too; a person must decide', facts);
  }
}
