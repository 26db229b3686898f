import { fileURLToPath } from 'node:url';
import { spawnNode } from './child.ts';
import { withCleanup } from './cleanup.ts';
import { benchConfig, workerEnv } from './config.ts';
import type { BenchContext } from './context.ts';
import { startBenchSim } from './sim.ts';
import type { ThroughputRun } from './throughput-run.ts';

const SERIAL_CHILD = fileURLToPath(new URL('./serial-child.ts', import.meta.url));

/** The serial baseline on `orders` orders; timed inside the child, from its first request to its last answer. */
export function measureSerial(ctx: BenchContext, setup: { orders: number; latencyMs: number }): Promise<ThroughputRun> {
  return withCleanup(async (cleanup) => {
    const { store, sim } = await startBenchSim(cleanup, {
      orders: setup.orders,
      latencyMs: setup.latencyMs,
      seed: ctx.settings.seed,
    });
    const config = benchConfig(ctx, sim);
    const child = spawnNode(
      'serial baseline',
      [SERIAL_CHILD],
      workerEnv(config, { BENCH_SERIAL_ORDERS: String(setup.orders) }),
    );
    cleanup.add('serial baseline', () => child.stop());
    const timer = setInterval(() => {
      const done = setup.orders - store.countByStatus().registered;
      ctx.progress.update(done / setup.orders, `${done}/${setup.orders} orders`);
    }, 200);
    cleanup.add('serial progress', () => clearInterval(timer));
    const line = await child.waitForLine((l) => l.startsWith('{"bench":"serial"'), 60_000 + setup.orders * 1000);
    const result = JSON.parse(line) as { orders: number; seconds: number };
    if (result.orders !== setup.orders)
      throw new Error(`serial baseline did ${result.orders} of ${setup.orders} orders`);
    return {
      orders: result.orders,
      seconds: result.seconds,
      ordersPerSecond: result.orders / result.seconds,
      workerPeakRssMb: [],
    };
  });
}
