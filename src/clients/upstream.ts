import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { createRandom, type Random } from '../random.ts';
import { JsonHttpClient } from './http.ts';
import { createOrderApi, type OrderApi } from './order-api.ts';
import { createStockApi, type StockApi } from './stock-api.ts';

export interface Upstream {
  readonly orderApi: OrderApi;
  readonly stockApi: StockApi;
  /**
   * Whether a full round of requests waits for Order-API permits beyond those in flight: status updates
   * are the bottleneck, with work queued for longer than a stock decrease takes to turn into more.
   */
  ordersBusy(): boolean;
  close(): Promise<void>;
}

/**
 * Clients for the Order and Stock APIs, each over its own keep-alive pool, behind its own adaptive
 * concurrency limit (HTTP_CONNECTIONS is its upper bound).
 */
export function createUpstream(
  config: Pick<Config, 'httpTimeoutMs' | 'httpConnections' | 'ordersUrl' | 'stocksUrl'>,
  deps: { readonly random?: Random; readonly logger?: Logger } = {},
): Upstream {
  const random = deps.random ?? createRandom();
  const options = (label: string) => ({
    timeoutMs: config.httpTimeoutMs,
    connections: config.httpConnections,
    limit: { random, label, ...(deps.logger ? { logger: deps.logger } : {}) },
  });
  const orders = new JsonHttpClient('Order API', config.ordersUrl, options('order'));
  const stocks = new JsonHttpClient('Stock API', config.stocksUrl, options('stock'));
  return {
    orderApi: createOrderApi(orders),
    stockApi: createStockApi(stocks),
    // The limit is at least 1, and infinite without a limiter (when nothing ever waits).
    ordersBusy: () => orders.waiting >= orders.limit,
    async close() {
      await Promise.all([orders.close(), stocks.close()]);
    },
  };
}
