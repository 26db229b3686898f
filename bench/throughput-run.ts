import type { CycleFanOut } from './cycle-log.ts';

/** One measured run of a throughput pipeline (ordermanagement, the bare ceiling or the serial baseline). */
export interface ThroughputRun {
  readonly orders: number;
  readonly seconds: number;
  readonly ordersPerSecond: number;
  /** Peak resident set (VmHWM) of each worker process, in MB. */
  readonly workerPeakRssMb: number[];
  /** Largest heap in use after a major GC, per worker process, in MB (NaN: no major GC happened). */
  readonly workerLiveHeapMb?: number[];
  /** Redis commands per order during the timed part, by command (Lua-internal calls included). */
  readonly redisCallsPerOrder?: Record<string, number>;
  /** ordermanagement only: the cycles that enqueued something, in order. */
  readonly cycles?: CycleFanOut[];
}

/** The commands that weigh most, per order: where Redis's share of the time goes. */
export function perOrder(calls: Record<string, number>, orders: number, top = 12): Record<string, number> {
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const rows = Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]): [string, number] => [name, Math.round((100 * n) / orders) / 100]);
  return { total: Math.round((100 * total) / orders) / 100, ...Object.fromEntries(rows) };
}
