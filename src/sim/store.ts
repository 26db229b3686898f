import {
  isOrderStatus,
  isRecord,
  ORDER_STATUSES,
  type OrderStatus,
  WOOD_TYPES,
  type WoodType,
} from '../domain/order.ts';
import type { Random } from '../random.ts';

/** An order as the reference Order API stores and sends it. */
export interface SimOrder {
  id: number;
  wood_type: string;
  quantity: number;
  order_status: OrderStatus;
  date: string;
}

/** What the simulator keeps across restarts (SIM_DATA_FILE): its orders, its stock, the next order id. */
export interface StoreSnapshot {
  readonly version: 1;
  readonly nextId: number;
  readonly orders: readonly SimOrder[];
  readonly stock: Readonly<Record<string, number>>;
}

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The in-memory state behind the simulated Order and Stock APIs. Orders are indexed by status so
 * listing the registered ones costs the page, not the whole table.
 */
export class SimStore {
  readonly orders = new Map<number, SimOrder>();
  readonly stock = new Map<string, number>();
  /** Answers of POST /stocks/decrease by Idempotency-Key: a repeated key answers the same, decreases once. */
  readonly decreases = new Map<string, StoredAnswer>();
  /** Successful decreases per Idempotency-Key (`-` when none was sent): how tests prove stock was taken once. */
  readonly decreasesByKey = new Map<string, number>();
  /** Every decrease that took effect, in order: what tests attribute to orders through the ledger. */
  readonly decreaseLog: { key: string; woodType: string; quantity: number }[] = [];
  /** Status updates that failed on purpose, with how many decreases had taken effect by then. */
  readonly statusUpdateFailures: { orderId: number; decreasesSoFar: number }[] = [];
  /** Decreases being handled now and the most at once, per wood type: whether clients serialize them. */
  readonly decreasesInFlight = { now: new Map<string, number>(), most: new Map<string, number>() };
  /** Order list requests: how many in all, and the most at once (one active cycle means one at a time). */
  readonly listings = { total: 0, inFlight: 0, maxInFlight: 0 };
  /** GET /orders/<id> requests: how tests see whether workers trusted their listing or read the order again. */
  orderReads = 0;
  /** PUT /orders/<id> requests: with reads and listings, what a client costs the Order API per order. */
  orderWrites = 0;
  readonly #byStatus = new Map<OrderStatus, Set<number>>();
  #nextId = 1;
  /** Counts changes to what a snapshot holds, so a saver writes only when something changed. */
  changes = 0;

  snapshot(): StoreSnapshot {
    return {
      version: 1,
      nextId: this.#nextId,
      orders: [...this.orders.values()],
      stock: Object.fromEntries(this.stock),
    };
  }

  /** A store holding `data` as snapshot() wrote it. @throws Error saying what does not fit. */
  static fromSnapshot(data: unknown): SimStore {
    if (!isRecord(data) || data.version !== 1 || !Array.isArray(data.orders) || !isRecord(data.stock)) {
      throw new Error('not a simulator snapshot (version 1 with orders and stock)');
    }
    const store = new SimStore();
    for (const order of data.orders as unknown[]) {
      if (
        !isRecord(order) ||
        !Number.isSafeInteger(order.id) ||
        typeof order.wood_type !== 'string' ||
        !Number.isSafeInteger(order.quantity) ||
        !isOrderStatus(order.order_status) ||
        typeof order.date !== 'string'
      ) {
        throw new Error(`order ${JSON.stringify(order)} is not an order`);
      }
      const kept = order as unknown as SimOrder;
      store.orders.set(kept.id, { ...kept });
      store.#index(kept.order_status).add(kept.id);
    }
    for (const [woodType, quantity] of Object.entries(data.stock)) {
      if (!Number.isSafeInteger(quantity)) throw new Error(`stock of ${woodType} is not a whole number`);
      store.stock.set(woodType, quantity as number);
    }
    const highest = Math.max(0, ...store.orders.keys());
    store.#nextId =
      Number.isSafeInteger(data.nextId) && (data.nextId as number) > highest ? (data.nextId as number) : highest + 1;
    return store;
  }

  createOrder(woodType: string, quantity: number, status: OrderStatus = 'registered'): SimOrder {
    const order: SimOrder = {
      id: this.#nextId++,
      wood_type: woodType,
      quantity,
      order_status: status,
      date: new Date().toISOString(),
    };
    this.orders.set(order.id, order);
    this.#index(status).add(order.id);
    this.changes += 1;
    return order;
  }

  setStatus(order: SimOrder, status: OrderStatus): void {
    this.#index(order.order_status).delete(order.id);
    order.order_status = status;
    this.#index(status).add(order.id);
    this.changes += 1;
  }

  /** Orders with this status now. */
  countOf(status: OrderStatus): number {
    return this.#index(status).size;
  }

  listByStatus(status: OrderStatus, skip: number, limit: number): SimOrder[] {
    return this.#page(this.#index(status), skip, limit).map((id) => this.orders.get(id) as SimOrder);
  }

  listAll(skip: number, limit: number): SimOrder[] {
    return this.#page(this.orders.keys(), skip, limit).map((id) => this.orders.get(id) as SimOrder);
  }

  recordDecrease(key: string | string[] | undefined, woodType: string, quantity: number): void {
    const name = typeof key === 'string' && key !== '' ? key : '-';
    this.decreasesByKey.set(name, (this.decreasesByKey.get(name) ?? 0) + 1);
    this.decreaseLog.push({ key: name, woodType, quantity });
    // The server sets the level itself, then records the decrease here.
    this.changes += 1;
  }

  addStock(woodType: string, quantity: number): number {
    const level = (this.stock.get(woodType) ?? 0) + quantity;
    this.stock.set(woodType, level);
    this.changes += 1;
    return level;
  }

  /** How many orders have each status: what the demo shows and the tests check. */
  countByStatus(): Record<OrderStatus, number> {
    const counts = {} as Record<OrderStatus, number>;
    for (const status of ORDER_STATUSES) {
      counts[status] = this.#index(status).size;
    }
    return counts;
  }

  #index(status: OrderStatus): Set<number> {
    let set = this.#byStatus.get(status);
    if (set === undefined) {
      set = new Set();
      this.#byStatus.set(status, set);
    }
    return set;
  }

  #page(ids: Iterable<number>, skip: number, limit: number): number[] {
    const page: number[] = [];
    if (limit <= 0) return page;
    let index = 0;
    for (const id of ids) {
      if (index++ < skip) continue;
      page.push(id);
      if (page.length === limit) break;
    }
    return page;
  }
}

export interface SeedOptions {
  /** Orders to create, spread over all wood types. */
  readonly orders: number;
  /** Stock per wood type; a type left out has no stock row at all (its orders end closed). */
  readonly stock: Partial<Record<WoodType, number>>;
  readonly random: Random;
  /** Largest order quantity; each order draws 1..maxQuantity. */
  readonly maxQuantity?: number;
}

/** Fills a store with registered orders of random wood types and quantities, and the given stock. */
export function seedStore(store: SimStore, options: SeedOptions): void {
  for (const [woodType, quantity] of Object.entries(options.stock)) store.addStock(woodType, quantity);
  const maxQuantity = options.maxQuantity ?? 10;
  for (let i = 0; i < options.orders; i++) {
    const woodType = WOOD_TYPES[Math.floor(options.random() * WOOD_TYPES.length)] as WoodType;
    store.createOrder(woodType, 1 + Math.floor(options.random() * maxQuantity));
  }
}
