import { JsonHttpClient } from './clients/http.ts';
import { createOrderApi, type OrderApi } from './clients/order-api.ts';
import { createStockApi, type StockApi } from './clients/stock-api.ts';
import type { Config } from './config/schema.ts';

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
