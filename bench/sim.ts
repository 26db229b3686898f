import { WOOD_TYPES } from '../src/domain/order.ts';
import { createRandom } from '../src/random.ts';
import { type Simulator, startSimulator } from '../src/sim/server.ts';
import { SimStore, seedStore } from '../src/sim/store.ts';
import type { Cleanup } from './cleanup.ts';

/** So much stock that every order ships: the bench measures the happy path, not business outcomes. */
const PLENTY = 1_000_000_000;

export interface BenchSim<S extends SimStore> {
  readonly store: S;
  readonly sim: Simulator;
}

/**
 * The project's simulator in this process, on free loopback ports, seeded with `orders` registered
 * orders; no simulated failures, `latencyMs` added to every answer. Closed by `cleanup`.
 */
export async function startBenchSim<S extends SimStore = SimStore>(
  cleanup: Cleanup,
  options: { orders: number; latencyMs: number; seed: number; store?: S },
): Promise<BenchSim<S>> {
  const store = options.store ?? (new SimStore() as S);
  const random = createRandom(options.seed);
  seedStore(store, {
    orders: options.orders,
    stock: Object.fromEntries(WOOD_TYPES.map((type) => [type, PLENTY])),
    random,
  });
  const sim = await startSimulator({ store, random, errorRate: 0, latencyMs: options.latencyMs });
  cleanup.add('simulator', () => sim.close());
  return { store, sim };
}
