import type { DecreaseAnswer, DecreaseEntry } from '../domain/decrease.ts';
import { UpstreamError } from '../errors.ts';
import { orderAnomalies, stockDrift } from '../telemetry/metrics.ts';
import { SETTLE_MARGIN_MS, type StockContext } from './context.ts';
import type { Settlement } from './ledger.ts';

/** An answer in doubt, with its entry as marked and Redis' clock when it was. */
export interface InDoubt {
  readonly kind: 'uncertain';
  readonly entry: DecreaseEntry;
  readonly now: number;
}

export type Sent = Exclude<DecreaseAnswer, { kind: 'uncertain' }> | InDoubt;

/**
 * Sends an entry's request and records the answer. `deadline` (performance.now()) is the entry's
 * written time plus the request timeout: a request that has not left by then is not sent at all, so
 * whoever resolves the entry after its deadline knows nothing is still on its way. An answer that
 * proves nothing was taken removes the entry and throws.
 */
export async function sendEntry(
  ctx: StockContext,
  entry: DecreaseEntry,
  deadline: number,
  resent = false,
): Promise<Sent> {
  let answer: DecreaseAnswer;
  try {
    answer = await ctx.stockApi.decrease(entry.woodType, entry.quantity, entry.id, deadline);
  } catch (error) {
    if (error instanceof UpstreamError) await ctx.ledger.settle(entry, { result: 'not-taken', level: 'keep' });
    throw error;
  }
  if (answer.kind === 'uncertain') {
    const settleDelay = ctx.requestTimeoutMs + SETTLE_MARGIN_MS;
    const marked = await ctx.ledger.markInDoubt(entry, answer.reason, answer.serviceAnswered, settleDelay);
    ctx.logger.warn('stock decrease in doubt; it is resolved before the next of its wood type', {
      decrease: entry.id,
      woodType: entry.woodType,
      orders: entry.orders,
      reason: answer.reason,
    });
    if (marked === undefined) throw new UpstreamError('transient', `decrease ${entry.id} was settled while in doubt`);
    return { kind: 'uncertain', ...marked };
  }
  await record(ctx, entry, answer, resent);
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
  if (answer.kind === 'taken' && settled === 'gone') {
    // Judged not taken by another holder, and sent again meanwhile: this stock was taken twice.
    orderAnomalies.add(1, { kind: 'decrease-landed-after-settled' });
    ctx.logger.error('anomaly: a decrease took effect after it had been judged not taken', {
      decrease: entry.id,
      woodType: entry.woodType,
      quantity: entry.quantity,
      orders: entry.orders,
    });
  }
  if (answer.kind === 'taken') checkDrift(ctx, entry, answer.level);
}

/**
 * Under the lock, only this decrease moves the level: a 200 whose level differs from the level before
 * minus the quantity means the stock changed otherwise too. Up: stock was added (a delivery); down:
 * someone else took stock, or a decrease landed that nobody recorded. Either way, say so.
 */
function checkDrift(ctx: StockContext, entry: DecreaseEntry, level: number | undefined): void {
  if (ctx.lock === undefined || level === undefined || typeof entry.levelBefore !== 'number') return;
  const drift = level - (entry.levelBefore - entry.quantity);
  if (drift === 0) return;
  stockDrift.add(Math.abs(drift), { wood_type: entry.woodType, direction: drift > 0 ? 'up' : 'down' });
  const facts = { woodType: entry.woodType, decrease: entry.id, levelBefore: entry.levelBefore, level, drift };
  if (drift > 0) ctx.logger.warn('stock was added besides this service’s decreases (a delivery?)', facts);
  else
    ctx.logger.error(
      'stock fell by more than this service’s decreases: taken elsewhere, or a decrease landed unrecorded',
      facts,
    );
}
