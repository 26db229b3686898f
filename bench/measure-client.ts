import { fileURLToPath } from 'node:url';
import { spawnNode } from './child.ts';
import { withCleanup } from './cleanup.ts';
import type { BenchContext } from './context.ts';
import { waitDrained } from './drain.ts';
import { type SimPlan, startBenchSim, upstreamFigures } from './sim.ts';
import type { ThroughputRun } from './throughput-run.ts';

/** The capacity scenario's plain clients (bench/plain-client.ts), each its own child script. */
export const CLIENTS = {
  'naive-lanes': fileURLToPath(new URL('./naive-lanes-child.ts', import.meta.url)),
  'put-capacity': fileURLToPath(new URL('./put-capacity-child.ts', import.meta.url)),
} as const;

export type ClientName = keyof typeof CLIENTS;

/**
 * One plain client on a fresh simulator, in its own process with Node's defaults: timed from the
 * spawn until no order is registered, as ordermanagement's `start` is.
 */
export function measureClient(
  ctx: BenchContext,
  client: ClientName,
  plan: Omit<SimPlan, 'seed'>,
): Promise<ThroughputRun> {
  return withCleanup(async (cleanup) => {
    const bench = await startBenchSim(cleanup, { ...plan, seed: ctx.settings.seed });
    const env = { PATH: process.env.PATH, API_URL_ORDERS: bench.sim.orderUrl, API_URL_STOCKS: bench.sim.stockUrl };
    const started = performance.now();
    const child = spawnNode(client, [CLIENTS[client]], env);
    cleanup.add(client, () => child.stop());
    await waitDrained(bench.store, plan.orders, ctx.progress, () => child.assertAlive());
    const seconds = (performance.now() - started) / 1000;
    const line = await child.waitForLine((l) => l.startsWith(`{"bench":"${client}"`), 10_000);
    const { orders } = JSON.parse(line) as { orders: number };
    if (orders !== plan.orders) throw new Error(`${client} did ${orders} of ${plan.orders} orders`);
    return {
      orders,
      seconds,
      ordersPerSecond: orders / seconds,
      workerPeakRssMb: [],
      upstream: upstreamFigures(bench, orders),
    };
  });
}
