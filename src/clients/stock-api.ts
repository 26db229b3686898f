import { parseStockLevel, type StockLevel, type WoodType } from '../domain/order.ts';
import { UpstreamError } from '../errors.ts';
import type { JsonHttpClient } from './http.ts';

export interface StockApi {
  /**
   * Takes `quantity` of `woodType` from stock and returns the new level. `idempotencyKey`
   * makes a repeated call decrease once where the upstream honours the header.
   * A 2xx answer means the stock was taken even when its body is unreadable: then `null`.
   * @throws UpstreamError kind `insufficient-stock` or `stock-not-found` for the business answers.
   */
  decrease(woodType: WoodType, quantity: number, idempotencyKey: string): Promise<StockLevel | null>;
}

const isSuccess = (statusCode: number | undefined): boolean =>
  statusCode !== undefined && statusCode >= 200 && statusCode <= 299;

export function createStockApi(http: JsonHttpClient): StockApi {
  return {
    async decrease(woodType, quantity, idempotencyKey) {
      let body: unknown;
      try {
        body = await http.request({
          method: 'POST',
          path: '/stocks/decrease',
          body: { wood_type: woodType, quantity },
          headers: { 'idempotency-key': idempotencyKey },
          endpoint: 'decrease-stock',
        });
      } catch (error) {
        if (error instanceof UpstreamError && isSuccess(error.statusCode)) return null;
        throw error;
      }
      try {
        return parseStockLevel(body);
      } catch {
        return null;
      }
    },
  };
}
