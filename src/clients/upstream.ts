import type { Config } from '../config/schema.ts';
import { JsonHttpClient } from './http.ts';
import { createOrderApi, type OrderApi } from './order-api.ts';
import { createStockApi, type StockApi } from './stock-api.ts';

export interface Upstream {
  readonly orderApi: OrderApi;
  readonly stockApi: StockApi;
  close(): Promise<void>;
}

/** Clients for the Order and Stock APIs, each over its own keep-alive pool. */
export function createUpstream(config: Config): Upstream {
  const options = { timeoutMs: config.httpTimeoutMs, connections: config.httpConnections };
  const orders = new JsonHttpClient('Order API', config.ordersUrl, options);
  const stocks = new JsonHttpClient('Stock API', config.stocksUrl, options);
  return {
    orderApi: createOrderApi(orders),
    stockApi: createStockApi(stocks),
    async close() {
      await Promise.all([orders.close(), stocks.close()]);
    },
  };
}
