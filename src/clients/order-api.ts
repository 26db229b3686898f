import { type Order, type OrderStatus, parseOrder, parseOrderPage } from '../domain/order.ts';
import { InvalidPayloadError, UpstreamError } from '../errors.ts';
import type { JsonHttpClient } from './http.ts';

export interface OrderPage {
  readonly orders: Order[];
  /** Elements of the page that break the contract, with the reason; reported, never processed. */
  readonly invalid: { raw: unknown; reason: string }[];
  /** How many elements the API sent, valid or not: decides whether another page follows. */
  readonly size: number;
}

export interface OrderApi {
  listRegistered(skip: number, limit: number): Promise<OrderPage>;
  getOrder(id: number): Promise<Order>;
  setStatus(id: number, status: OrderStatus): Promise<Order>;
}

/** A body that breaks the contract is a permanent failure: asking again returns the same thing. */
function validated<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidPayloadError) throw new UpstreamError('permanent', error.message, { cause: error });
    throw error;
  }
}

export function createOrderApi(http: JsonHttpClient): OrderApi {
  return {
    async listRegistered(skip, limit) {
      // The cycle's listing goes ahead of status updates: it must not time out behind a backlog of them.
      const body = await http.request({
        method: 'GET',
        path: '/orders/status/registered',
        query: { skip, limit },
        route: 'GET /orders/status/registered',
        priority: 'first',
      });
      const page = validated(() => parseOrderPage(body));
      return { ...page, size: (body as unknown[]).length };
    },
    async getOrder(id) {
      const body = await http.request({
        method: 'GET',
        path: `/orders/${id}`,
        endpoint: 'order',
        route: 'GET /orders/:id',
      });
      return validated(() => parseOrder(body));
    },
    async setStatus(id, status) {
      const body = await http.request({
        method: 'PUT',
        path: `/orders/${id}`,
        body: { order_status: status },
        endpoint: 'order',
        route: 'PUT /orders/:id',
      });
      return validated(() => parseOrder(body));
    },
  };
}
