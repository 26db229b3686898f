import type { Redis } from 'ioredis';
import type { BenchChild } from './child.ts';
import type { CycleFanOut } from './cycle-log.ts';
import { type MajorGc, maxLiveMb } from './gc-trace.ts';
import { processMemoryMb } from './memory.ts';
import { commandCalls } from './redis.ts';
import type { UpstreamFigures } from './sim.ts';

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
  /** What the simulator saw: Order-API requests, whether the stock fell by exactly what shipped (bench/sim.ts). */
  readonly upstream?: UpstreamFigures;
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

/**
 * The figures of a run of worker processes, read the moment its orders are done: the time since
 * `started` (a performance.now() reading), each process's peak memory and live heap, and the Redis
 * commands since the command stats were reset.
 */
export async function workerRunFigures(
  admin: Redis,
  orders: number,
  started: number,
  workers: readonly BenchChild[],
  gcTraces: readonly { stop(): MajorGc[] }[],
): Promise<ThroughputRun> {
  const seconds = (performance.now() - started) / 1000;
  const calls = await commandCalls(admin);
  return {
    orders,
    seconds,
    ordersPerSecond: orders / seconds,
    workerPeakRssMb: workers.map((w) => processMemoryMb(w.pid, 'VmHWM')),
    workerLiveHeapMb: gcTraces.map((trace) => maxLiveMb(trace.stop())),
    redisCallsPerOrder: perOrder(calls, orders),
  };
}
