import type { DecreaseAnswer, DecreaseEntry } from '../domain/decrease.ts';
import { UpstreamError } from '../errors.ts';
import { orderAnomalies, stockTakenTwice } from '../telemetry/metrics.ts';
import { type StockContext, settleDelayMs } from './context.ts';
import type { Settlement } from './ledger.ts';
import { observeLevel } from './observe-level.ts';

/** An answer in doubt, with its entry as marked and Redis' clock when it was. */
export interface InDoubt {
  readonly kind: 'uncertain';
  readonly entry: DecreaseEntry;
  readonly now: number;
}

export type Sent = Exclude<DecreaseAnswer, { kind: 'uncertain' }> | InDoubt;

export interface Sending {
  readonly entry: DecreaseEntry;
  /**
   * The entry's written time plus the request timeout (performance.now()): a request that has not
   * left by then is not sent at all, so whoever resolves the entry after its deadline knows nothing
   * is still on its way from here.
   */
  readonly deadline: number;
  /** Sent again under its key (Idempotency-Key honoured): counted so when it is taken. */
  readonly resent?: boolean;
}

/**
 * Sends an entry's request and records the answer. An answer that proves nothing was taken removes
 * the entry and throws.
 */
export async function sendEntry(ctx: StockContext, sending: Sending): Promise<Sent> {
  const { entry } = sending;
  let answer: DecreaseAnswer;
  try {
    answer = await ctx.stockApi.decrease(entry.woodType, entry.quantity, entry.id, sending.deadline);
  } catch (error) {
    if (error instanceof UpstreamError) await ctx.ledger.settle(entry, { result: 'not-taken', level: 'keep' });
    throw error;
  }
  if (answer.kind === 'uncertain') {
    const marked = await ctx.ledger.markInDoubt({
      entry,
      reason: answer.reason,
      serviceAnswered: answer.serviceAnswered,
      settleDelayMs: settleDelayMs(ctx),
    });
    ctx.logger.warn('stock decrease in doubt; it is resolved before the next of its wood type', {
      decrease: entry.id,
      woodType: entry.woodType,
      orders: entry.orders,
      reason: answer.reason,
    });
    if (marked === undefined) throw new UpstreamError('transient', `decrease ${entry.id} was settled while in doubt`);
    return { kind: 'uncertain', ...marked };
  }
  await record(ctx, entry, answer, sending.resent === true);
  return answer;
}

async function record(
  ctx: StockContext,
  entry: DecreaseEntry,
  answer: Exclude<DecreaseAnswer, { kind: 'uncertain' }>,
  resent: boolean,
): Promise<void> {
  // Not enough stock for a batch says nothing of each order: none was taken, the holder plans again.
  const partly = answer.kind === 'refused' && answer.outcome === 'blocked' && entry.orders.length > 1;
  const settlement: Settlement =
    answer.kind === 'taken'
      ? { result: 'taken', level: answer.level }
      : partly
        ? { result: 'not-taken', level: 'keep' }
        : { result: 'refused', outcome: answer.outcome, level: answer.outcome === 'closed' ? 'none' : 'keep' };
  const settled = await ctx.ledger.settle(
    entry,
    settlement,
    resent && answer.kind === 'taken' ? { stat: 'resentWithKey' } : {},
  );
  if (answer.kind !== 'taken') return;
  if (settled === 'gone' || settled === 'not-taken') {
    await landedAfterJudgement(ctx, entry, settled, answer.level);
    return;
  }
  // Under the lock, only this decrease moved the level since it was read.
  if (ctx.lock !== undefined && typeof entry.levelBefore === 'number')
    await observeLevel(ctx, entry.woodType, entry.levelBefore - entry.quantity, answer.level, { decrease: entry.id });
}

/** The answer says taken, but another holder had judged the entry not taken (and sent its orders again). */
async function landedAfterJudgement(
  ctx: StockContext,
  entry: DecreaseEntry,
  state: string,
  level: number | undefined,
): Promise<void> {
  const facts = { decrease: entry.id, woodType: entry.woodType, quantity: entry.quantity, orders: entry.orders, level };
  if (state === 'not-taken' && (await ctx.ledger.flagTakenTwice(entry, level))) {
    stockTakenTwice.add(1, { wood_type: entry.woodType });
  } else orderAnomalies.add(1, { kind: 'decrease-landed-after-settled' });
  ctx.logger.error(
    'stock taken twice: a decrease took effect after it had been judged not taken; a person must correct it',
    facts,
  );
}
