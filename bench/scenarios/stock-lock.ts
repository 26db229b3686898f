import { SHIPPED_CONCURRENCY } from '../config.ts';
import type { BenchContext } from '../context.ts';
import { estimate } from '../estimates.ts';
import { measureOm } from '../measure-om.ts';
import { attempt, type Outcome } from '../outcome.ts';
import type { BenchSettings } from '../settings.ts';
import type { ThroughputRun } from '../throughput-run.ts';

export interface StockLockPoint {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly processes: number;
  readonly orders: number;
  /** SERIALIZE_STOCK_DECREASES=true, the shipped default. */
  readonly lockOn: Outcome<ThroughputRun>[];
  readonly lockOff: Outcome<ThroughputRun>[];
}

export interface StockLockResult {
  readonly points: StockLockPoint[];
}

export function stockLockWeight(settings: BenchSettings): number {
  const { comparisonLatencies, lockOrders, runs } = settings;
  return (
    runs * comparisonLatencies.reduce((sum, l) => sum + 2 * estimate.startup + 2 * estimate.drain(lockOrders, l), 0)
  );
}

/**
 * The shipped configuration (decreases serialized and coalesced per wood type) against the same run
 * without the lock, back to back, at the default worker shape (the shipped concurrency, one process),
 * on the non-atomic simulator: what serializing costs, and that only it keeps the stock exact.
 */
export async function runStockLock(ctx: BenchContext): Promise<StockLockResult> {
  const { comparisonLatencies, lockOrders, runs } = ctx.settings;
  const concurrency = SHIPPED_CONCURRENCY;
  const points: StockLockPoint[] = comparisonLatencies.map((latencyMs) => ({
    latencyMs,
    concurrency,
    processes: 1,
    orders: lockOrders,
    lockOn: [],
    lockOff: [],
  }));
  for (let run = 0; run < runs; run++) {
    const tag = `run ${run + 1}/${runs}`;
    for (const point of points) {
      const base = { orders: lockOrders, latencyMs: point.latencyMs, concurrency, processes: 1 };
      const name = `${point.latencyMs} ms · c${concurrency} ×1`;
      const on = async () => {
        ctx.progress.step(
          `stock lock ${tag} · ${name} · lock on`,
          estimate.startup + estimate.drain(lockOrders, point.latencyMs),
        );
        point.lockOn.push(await attempt(ctx.neighbours, `lock on ${name} ${tag}`, () => measureOm(ctx, base)));
      };
      const off = async () => {
        ctx.progress.step(
          `stock lock ${tag} · ${name} · lock off`,
          estimate.startup + estimate.drain(lockOrders, point.latencyMs),
        );
        point.lockOff.push(
          await attempt(ctx.neighbours, `lock off ${name} ${tag}`, () =>
            measureOm(ctx, { ...base, env: { SERIALIZE_STOCK_DECREASES: 'false' } }),
          ),
        );
      };
      for (const step of run % 2 === 0 ? [on, off] : [off, on]) await step();
    }
  }
  return { points };
}
