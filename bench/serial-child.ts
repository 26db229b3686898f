/**
 * The serial baseline, in its own process like the Python loop it stands for: the original algorithm
 * (for each registered order, decrease stock, then PUT the status, one request at a time) with the
 * project's undici clients. Processed orders leave `registered`, so every page is read from skip 0.
 * Prints one JSON line with the orders done and the seconds they took.
 */
import { JsonHttpClient } from '../src/clients/http.ts';
import { createOrderApi } from '../src/clients/order-api.ts';
import { createStockApi } from '../src/clients/stock-api.ts';
import { loadConfig } from '../src/config/load.ts';
import { outcomeOf } from '../src/domain/decrease.ts';

const config = loadConfig();
const limit = Number(process.env.BENCH_SERIAL_ORDERS);
if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error('BENCH_SERIAL_ORDERS must be a positive integer');
const http = { timeoutMs: config.httpTimeoutMs, connections: config.httpConnections };
const orders = new JsonHttpClient('Order API', config.ordersUrl, http);
const stocks = new JsonHttpClient('Stock API', config.stocksUrl, http);
const orderApi = createOrderApi(orders);
const stockApi = createStockApi(stocks);

const started = performance.now();
let done = 0;
while (done < limit) {
  const page = await orderApi.listRegistered(0, Math.min(config.pageSize, limit - done));
  if (page.orders.length === 0) break;
  for (const order of page.orders) {
    const outcome = outcomeOf(await stockApi.decrease(order.woodType, order.quantity, `order-${order.id}`));
    if (outcome === undefined) throw new Error(`decrease of order ${order.id} in doubt`);
    await orderApi.setStatus(order.id, outcome);
    done += 1;
  }
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ bench: 'serial', orders: done, seconds })}\n`);
await Promise.all([orders.close(), stocks.close()]);
