/**
 * The Order and Stock API calls as a user's own script would make them: Node's fetch, one request
 * at a time per caller, no retries, no ledger. The capacity scenario's baselines are built from them.
 */
import type { OrderStatus } from '../src/domain/order.ts';

export interface PlainOrder {
  readonly id: number;
  readonly wood_type: string;
  readonly quantity: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

async function failed(res: Response, what: string): Promise<never> {
  throw new Error(`${what}: ${res.status} ${(await res.text()).slice(0, 200)}`);
}

/** Every registered order, listed page by page before any is changed (skip is then safe). */
export async function listRegistered(ordersUrl: string, pageSize = 1000): Promise<PlainOrder[]> {
  const all: PlainOrder[] = [];
  for (let skip = 0; ; skip += pageSize) {
    const res = await fetch(`${ordersUrl}/orders/status/registered?skip=${skip}&limit=${pageSize}`);
    if (!res.ok) return failed(res, 'listing');
    const page = (await res.json()) as PlainOrder[];
    all.push(...page);
    if (page.length < pageSize) return all;
  }
}

/** Takes the order's stock and says which status it earns: the contract's outcome table. */
export async function decrease(stocksUrl: string, order: PlainOrder): Promise<OrderStatus> {
  const res = await fetch(`${stocksUrl}/stocks/decrease`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ wood_type: order.wood_type, quantity: order.quantity }),
  });
  const text = await res.text();
  if (res.status === 200) return 'shipped';
  if (res.status === 400 && text.includes('Insufficient stock')) return 'blocked';
  if (res.status === 404) return 'closed';
  throw new Error(`decrease of order ${order.id}: ${res.status} ${text.slice(0, 200)}`);
}

export async function putStatus(ordersUrl: string, id: number, status: OrderStatus): Promise<void> {
  const res = await fetch(`${ordersUrl}/orders/${id}`, {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify({ order_status: status }),
  });
  if (!res.ok) return failed(res, `status update of order ${id}`);
  await res.arrayBuffer();
}

/** The line a client child prints when it is done, with how many orders it did. */
export function doneLine(client: string, orders: number): string {
  return JSON.stringify({ bench: client, orders });
}

/** The APIs' base URLs, as ordermanagement reads them. */
export function upstreamUrls(env: NodeJS.ProcessEnv = process.env): { ordersUrl: string; stocksUrl: string } {
  const { API_URL_ORDERS: ordersUrl, API_URL_STOCKS: stocksUrl } = env;
  if (!ordersUrl || !stocksUrl) throw new Error('API_URL_ORDERS and API_URL_STOCKS must be set');
  return { ordersUrl: ordersUrl.replace(/\/+$/, ''), stocksUrl: stocksUrl.replace(/\/+$/, '') };
}
