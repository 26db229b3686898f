import type { Level } from '../domain/decrease.ts';
import type { WoodType } from '../domain/order.ts';
import { stockDrift, stockTakenTwice } from '../telemetry/metrics.ts';
import type { StockContext } from './context.ts';

/** How far back a decrease judged not taken is still matched against a fall of the level. */
const JUDGED_WATCH_MS = 24 * 3600 * 1000;

/**
 * Under the lock only this service's decreases move a wood type's level, so a level that differs
 * from what the ledger expects means the stock moved otherwise: up, a delivery; down, stock taken
 * elsewhere, or a decrease that landed unrecorded. A fall by exactly the quantity of a decrease the
 * level judged not taken is that decrease landing late: the stock of its orders was taken twice,
 * which is flagged on its entry, logged as an error naming them and counted. Never silent.
 */
export async function observeLevel(
  ctx: StockContext,
  woodType: WoodType,
  expected: Level | undefined,
  found: Level | undefined,
  context: { readonly decrease?: string } = {},
): Promise<void> {
  if (typeof expected !== 'number' || typeof found !== 'number') return;
  const drift = found - expected;
  if (drift === 0) return;
  const facts = { woodType, expected, level: found, drift, ...context };
  if (drift > 0) {
    stockDrift.add(drift, { wood_type: woodType, direction: 'up' });
    ctx.logger.warn('stock was added besides this service’s decreases (a delivery?)', facts);
    return;
  }
  const since = (await ctx.ledger.now()) - JUDGED_WATCH_MS;
  const late = (await ctx.ledger.judgedNotTaken(woodType, since)).find((entry) => entry.quantity === -drift);
  if (late !== undefined && (await ctx.ledger.flagTakenTwice(late, found))) {
    stockTakenTwice.add(1, { wood_type: woodType });
    ctx.logger.error('stock taken twice: a decrease judged not taken landed after all; a person must correct it', {
      ...facts,
      lateDecrease: late.id,
      orders: late.orders,
      quantity: late.quantity,
      sentAt: new Date(late.sentAt).toISOString(),
      judgedAt: late.resolvedAt === undefined ? undefined : new Date(late.resolvedAt).toISOString(),
    });
    return;
  }
  stockDrift.add(-drift, { wood_type: woodType, direction: 'down' });
  ctx.logger.error(
    'stock fell by more than this service’s decreases: taken elsewhere, or a decrease landed unrecorded',
    facts,
  );
}
