import type { BenchContext } from '../context.ts';
import { estimate } from '../estimates.ts';
import { measureBare } from '../measure-bare.ts';
import { measureOm } from '../measure-om.ts';
import { measureSerial } from '../measure-serial.ts';
import { attempt, type Outcome } from '../outcome.ts';
import type { BenchSettings } from '../settings.ts';
import type { ThroughputRun } from '../throughput-run.ts';

export interface SweepPoint {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly processes: number;
}

export interface SweepResult extends SweepPoint {
  readonly om: Outcome<ThroughputRun>[];
  readonly bare: Outcome<ThroughputRun>[];
}

export interface SerialResult {
  readonly latencyMs: number;
  readonly orders: number;
  readonly runs: Outcome<ThroughputRun>[];
}

export interface ThroughputResult {
  readonly orders: number;
  readonly serial: SerialResult[];
  readonly sweep: SweepResult[];
}

export function sweepPoints(settings: BenchSettings): SweepPoint[] {
  const { latencies, concurrencies, processCounts } = settings;
  return latencies.flatMap((latencyMs) =>
    concurrencies.flatMap((concurrency) => processCounts.map((processes) => ({ latencyMs, concurrency, processes }))),
  );
}

export function throughputWeight(settings: BenchSettings): number {
  const { orders, latencies, runs, serialOrders } = settings;
  const perRun = latencies.reduce(
    (sum, latencyMs) =>
      sum +
      estimate.startup +
      estimate.serial(serialOrders(latencyMs), latencyMs) +
      sweepPoints(settings).filter((p) => p.latencyMs === latencyMs).length *
        2 *
        (estimate.startup + estimate.drain(orders, latencyMs)),
    0,
  );
  return perRun * runs;
}

/**
 * Scenario 1. Runs are the outer loop, so a slow drift of the machine touches every configuration
 * alike; within a run, ordermanagement and the bare ceiling swap places every other run.
 */
export async function runThroughput(ctx: BenchContext): Promise<ThroughputResult> {
  const { orders, latencies, runs, serialOrders } = ctx.settings;
  const points = sweepPoints(ctx.settings);
  const serial: SerialResult[] = latencies.map((latencyMs) => ({
    latencyMs,
    orders: serialOrders(latencyMs),
    runs: [],
  }));
  const sweep: SweepResult[] = points.map((p) => ({ ...p, om: [], bare: [] }));
  for (let run = 0; run < runs; run++) {
    const tag = `run ${run + 1}/${runs}`;
    for (const s of serial) {
      ctx.progress.step(
        `throughput ${tag} · ${s.latencyMs} ms · serial (${s.orders} orders)`,
        estimate.startup + estimate.serial(s.orders, s.latencyMs),
      );
      s.runs.push(await attempt(ctx.neighbours, `serial ${s.latencyMs} ms ${tag}`, () => measureSerial(ctx, s)));
    }
    for (const point of sweep) {
      const name = `${point.latencyMs} ms · c${point.concurrency} ×${point.processes}`;
      const weight = estimate.startup + estimate.drain(orders, point.latencyMs);
      const om = async () => {
        ctx.progress.step(`throughput ${tag} · ${name} · ordermanagement`, weight);
        point.om.push(
          await attempt(ctx.neighbours, `ordermanagement ${name} ${tag}`, () => measureOm(ctx, { orders, ...point })),
        );
      };
      const bare = async () => {
        ctx.progress.step(`throughput ${tag} · ${name} · bare BullMQ`, weight);
        point.bare.push(
          await attempt(ctx.neighbours, `bare ${name} ${tag}`, () => measureBare(ctx, { orders, ...point })),
        );
      };
      for (const step of run % 2 === 0 ? [om, bare] : [bare, om]) await step();
    }
  }
  return { orders, serial, sweep };
}
