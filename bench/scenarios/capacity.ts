import { referenceCapacity } from '../../src/sim/capacity.ts';
import { SHIPPED_CONCURRENCY } from '../config.ts';
import type { BenchContext } from '../context.ts';
import { estimate } from '../estimates.ts';
import { measureBare } from '../measure-bare.ts';
import { measureClient } from '../measure-client.ts';
import { measureOmStart } from '../measure-om-start.ts';
import { attempt, type Outcome } from '../outcome.ts';
import type { BenchSettings } from '../settings.ts';
import type { SimPlan } from '../sim.ts';
import type { ThroughputRun } from '../throughput-run.ts';

export interface CapacityResult {
  readonly orders: number;
  /** The bare ceiling's shape: the shipped concurrency, one process. */
  readonly bareConcurrency: number;
  /** ONE `ordermanagement start` process, shipped defaults. */
  readonly om: Outcome<ThroughputRun>[];
  /** One lane per wood type, decrease then PUT, one order at a time per lane. */
  readonly naive: Outcome<ThroughputRun>[];
  readonly bare: Outcome<ThroughputRun>[];
  /** Every order PUT once, 16 at a time: the Order API's capacity for status updates. */
  readonly putCapacity: Outcome<ThroughputRun>[];
}

type Side = 'om' | 'naive' | 'bare' | 'putCapacity';

const LABELS: Record<Side, string> = {
  om: 'ordermanagement start',
  naive: 'naive lane client',
  bare: 'bare BullMQ',
  putCapacity: 'PUT capacity',
};

export function capacityWeight(settings: BenchSettings): number {
  const n = settings.capacityOrders;
  const drain = (Object.keys(LABELS) as Side[]).reduce((sum, side) => sum + estimate.capacity(n, side), 0);
  return settings.runs * drain;
}

/**
 * The headline. Against the reference services' capacity model (the simulator's round-robin
 * model, decreases not atomic, the demo's short stock), side by side in each run, each on a fresh
 * simulator: ordermanagement in the shipped defaults, a naive exact client, the bare BullMQ ceiling
 * and the Order API's PUT capacity. The four rotate places from run to run.
 */
export async function runCapacity(ctx: BenchContext): Promise<CapacityResult> {
  const { capacityOrders: orders, runs } = ctx.settings;
  const result: CapacityResult = {
    orders,
    bareConcurrency: SHIPPED_CONCURRENCY,
    om: [],
    naive: [],
    bare: [],
    putCapacity: [],
  };
  // A model per measurement: its slowdown is state, and no run should inherit another's.
  const plan = (): Omit<SimPlan, 'seed'> => ({ orders, latencyMs: 0, stock: 'short', capacity: referenceCapacity() });
  const measure: Record<Side, () => Promise<ThroughputRun>> = {
    om: () => measureOmStart(ctx, plan()),
    naive: () => measureClient(ctx, 'naive-lanes', plan()),
    bare: () => measureBare(ctx, { ...plan(), concurrency: SHIPPED_CONCURRENCY, processes: 1, timedFromSpawn: true }),
    putCapacity: () => measureClient(ctx, 'put-capacity', plan()),
  };
  const sides = Object.keys(LABELS) as Side[];
  for (let run = 0; run < runs; run++) {
    const tag = `run ${run + 1}/${runs}`;
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(run + i) % sides.length] as Side;
      ctx.progress.step(`capacity ${tag} · ${LABELS[side]} (${orders} orders)`, estimate.capacity(orders, side));
      result[side].push(await attempt(ctx.neighbours, `capacity ${LABELS[side]} ${tag}`, measure[side]));
    }
  }
  return result;
}
