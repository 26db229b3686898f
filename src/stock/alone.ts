import type { Order, Outcome } from '../domain/order.ts';
import { DecreaseInDoubt } from '../errors.ts';
import { decreasesInDoubt } from '../telemetry/metrics.ts';
import type { StockContext } from './context.ts';
import { begin, epochChanged, fromRecord, personError } from './holding.ts';
import { sendEntry } from './send.ts';

/**
 * Without the lock (an atomic Stock API, SERIALIZE_STOCK_DECREASES=false): each order alone. Other
 * decreases of its wood type run at the same time, so the level cannot tell whether one in doubt
 * happened: with keys honoured it is sent again under its key, otherwise a person decides.
 */
export async function takeAlone(ctx: StockContext, order: Order): Promise<Outcome> {
  const deadline = performance.now() + ctx.requestTimeoutMs;
  let begun = await begin(ctx, undefined, order.woodType, [order], undefined);
  if (begun.kind === 'epoch') {
    await epochChanged(ctx);
    begun = await begin(ctx, undefined, order.woodType, [order], undefined);
  }
  const [recorded] = begun.kind === 'none' ? begun.recorded : [];
  if (recorded !== undefined && recorded.state !== 'pending') {
    const result = await fromRecord(ctx, recorded);
    if (result instanceof Error) throw result;
    return result;
  }
  const entry = begun.kind === 'send' ? begun.entry : (await ctx.ledger.order(order.id))?.entry;
  if (entry === undefined) throw new DecreaseInDoubt(`order ${order.id}: its ledger entry is unreadable`);
  if (recorded === undefined || ctx.keysHonoured) {
    const answer = await sendEntry(ctx, { entry, deadline, resent: recorded !== undefined });
    if (answer.kind === 'taken') return 'shipped';
    if (answer.kind === 'refused') return answer.outcome;
    if (ctx.keysHonoured) {
      throw new DecreaseInDoubt(
        `order ${order.id}: decrease in doubt (${answer.entry.doubt}); it is sent again under its key`,
      );
    }
  } else {
    await ctx.ledger.markInDoubt({
      entry,
      reason: 'an earlier attempt stopped before the answer',
      serviceAnswered: true,
      settleDelayMs: 0,
    });
  }
  await ctx.ledger.settle(entry, { result: 'person', level: 'keep' }, { stat: 'toPerson' });
  decreasesInDoubt.add(1, { result: 'person' });
  throw await personError(ctx, order.id);
}
