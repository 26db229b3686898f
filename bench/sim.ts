import { type OrderStatus, WOOD_TYPES, type WoodType } from '../src/domain/order.ts';
import { createRandom } from '../src/random.ts';
import type { CapacityModel } from '../src/sim/capacity.ts';
import { type Simulator, startSimulator } from '../src/sim/server.ts';
import { type SimOrder, SimStore, seedStore } from '../src/sim/store.ts';
import type { Cleanup } from './cleanup.ts';

/** So much stock that every order ships: the bench measures the happy path, not business outcomes. */
const PLENTY = 1_000_000_000;

/**
 * `plenty`: every order ships. `short`, like the demo: oak, maple and pine have exactly what their
 * orders ask, birch half of it, elm no stock row at all (its orders end closed).
 */
export type StockPlan = 'plenty' | 'short';

export interface SimPlan {
  readonly orders: number;
  readonly latencyMs: number;
  readonly seed: number;
  readonly stock?: StockPlan;
  /** Serve with this capacity model (referenceCapacity(): the reference services); absent: as fast as Node can. */
  readonly capacity?: CapacityModel;
}

export interface BenchSim<S extends SimStore> {
  readonly store: S;
  readonly sim: Simulator;
  /** Stock per wood type when the run began. */
  readonly initialStock: ReadonlyMap<string, number>;
}

/** What the upstream saw of a run: the Order API requests it served and where the stock ended. */
export interface UpstreamFigures {
  /** GET /orders/<id>, PUT /orders/<id> and list requests (pages) the Order API served. */
  readonly orderReads: number;
  readonly orderWrites: number;
  readonly orderListings: number;
  readonly orderRequestsPerOrder: number;
  readonly stockExact: boolean;
  /** Blocked orders whose quantity their wood type's stock left at the end would still cover: blocked wrongly. */
  readonly blockedWhileFitting: number;
  readonly outcomes: Record<OrderStatus, number>;
}

/**
 * Whether the stock fell by exactly the shipped quantities, wood type by wood type: without the lock
 * the non-atomic simulator loses updates, so only the shipped configuration keeps it.
 */
export function stockExact(store: SimStore, initialStock: ReadonlyMap<string, number>): boolean {
  const shipped = new Map<string, number>();
  for (const order of store.orders.values()) {
    if (order.order_status === 'shipped')
      shipped.set(order.wood_type, (shipped.get(order.wood_type) ?? 0) + order.quantity);
  }
  return WOOD_TYPES.every(
    (type) => (initialStock.get(type) ?? 0) - (store.stock.get(type) ?? 0) === (shipped.get(type) ?? 0),
  );
}

export function upstreamFigures<S extends SimStore>(bench: BenchSim<S>, orders: number): UpstreamFigures {
  const { store } = bench;
  let blockedWhileFitting = 0;
  for (const order of store.orders.values()) {
    if (order.order_status === 'blocked' && order.quantity <= (store.stock.get(order.wood_type) ?? 0))
      blockedWhileFitting += 1;
  }
  const requests = store.orderReads + store.orderWrites + store.listings.total;
  return {
    orderReads: store.orderReads,
    orderWrites: store.orderWrites,
    orderListings: store.listings.total,
    orderRequestsPerOrder: requests / orders,
    stockExact: stockExact(store, bench.initialStock),
    blockedWhileFitting,
    outcomes: store.countByStatus(),
  };
}

/** Stock like the demo's: each type's demand, birch half of it, elm none. */
function shortStock(store: SimStore): Partial<Record<WoodType, number>> {
  const demand = new Map<string, number>();
  for (const order of store.orders.values())
    demand.set(order.wood_type, (demand.get(order.wood_type) ?? 0) + order.quantity);
  const of = (type: WoodType) => demand.get(type) ?? 0;
  return { oak: of('oak'), maple: of('maple'), pine: of('pine'), birch: Math.floor(of('birch') / 2) };
}

/**
 * The project's simulator in this process, on free loopback ports, seeded with `orders` registered
 * orders; no simulated failures, `latencyMs` added to every answer, decreases not atomic (read, then
 * write back), as the reference Stock API: what the shipped configuration is for. Closed by `cleanup`.
 */
export async function startBenchSim<S extends SimStore = SimStore>(
  cleanup: Cleanup,
  plan: SimPlan & { store?: S },
): Promise<BenchSim<S>> {
  const store = plan.store ?? (new SimStore() as S);
  const random = createRandom(plan.seed);
  const plenty = (plan.stock ?? 'plenty') === 'plenty';
  seedStore(store, {
    orders: plan.orders,
    stock: plenty ? Object.fromEntries(WOOD_TYPES.map((type) => [type, PLENTY])) : {},
    random,
  });
  if (!plenty) for (const [type, quantity] of Object.entries(shortStock(store))) store.addStock(type, quantity);
  const initialStock = new Map(store.stock);
  const sim = await startSimulator({
    store,
    random,
    errorRate: 0,
    latencyMs: plan.latencyMs,
    nonAtomic: true,
    ...(plan.capacity ? { capacity: plan.capacity } : {}),
  });
  cleanup.add('simulator', () => sim.close());
  return { store, sim, initialStock };
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
