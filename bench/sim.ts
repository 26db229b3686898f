import type { OrderStatus } from '../src/domain/order.ts';
import { WOOD_TYPES } from '../src/domain/order.ts';
import { createRandom } from '../src/random.ts';
import { type Simulator, startSimulator } from '../src/sim/server.ts';
import { type SimOrder, SimStore, seedStore } from '../src/sim/store.ts';
import type { Cleanup } from './cleanup.ts';

/** So much stock that every order ships: the bench measures the happy path, not business outcomes. */
const PLENTY = 1_000_000_000;

export interface BenchSim<S extends SimStore> {
  readonly store: S;
  readonly sim: Simulator;
}

/**
 * Whether the stock fell by exactly the shipped quantities, wood type by wood type: without the lock
 * the non-atomic simulator loses updates, so only the shipped configuration keeps it.
 */
export function stockExact(store: SimStore): boolean {
  const shipped = new Map<string, number>();
  for (const order of store.orders.values()) {
    if (order.order_status === 'shipped')
      shipped.set(order.wood_type, (shipped.get(order.wood_type) ?? 0) + order.quantity);
  }
  return WOOD_TYPES.every((type) => PLENTY - (store.stock.get(type) ?? PLENTY) === (shipped.get(type) ?? 0));
}

/**
 * The project's simulator in this process, on free loopback ports, seeded with `orders` registered
 * orders; no simulated failures, `latencyMs` added to every answer, decreases not atomic (read, then
 * write back), as the reference Stock API: what the shipped configuration is for. Closed by `cleanup`.
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
  const sim = await startSimulator({ store, random, errorRate: 0, latencyMs: options.latencyMs, nonAtomic: true });
  cleanup.add('simulator', () => sim.close());
  return { store, sim };
}

/** A simulator store that notes when each order was registered and when it left `registered`. */
export class TimedStore extends SimStore {
  readonly registeredAt = new Map<number, number>();
  readonly settledAt = new Map<number, number>();

  override createOrder(woodType: string, quantity: number, status: OrderStatus = 'registered'): SimOrder {
    const order = super.createOrder(woodType, quantity, status);
    if (status === 'registered') this.registeredAt.set(order.id, performance.now());
    return order;
  }

  override setStatus(order: SimOrder, status: OrderStatus): void {
    if (order.order_status === 'registered' && status !== 'registered') this.settledAt.set(order.id, performance.now());
    super.setStatus(order, status);
  }
}
