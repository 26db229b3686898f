import type { OrderStatus } from '../src/domain/order.ts';
import { type SimOrder, SimStore } from '../src/sim/store.ts';

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
