import { classifyDecreaseAnswer, type DecreaseAnswer, type Level } from '../domain/decrease.ts';
import { classifyResponse } from '../domain/failure.ts';
import { errorText, parseStockLevel, type WoodType } from '../domain/order.ts';
import { UpstreamError } from '../errors.ts';
import { failure, type JsonHttpClient } from './http.ts';

export interface StockApi {
  /**
   * Asks to take `quantity` of `woodType`. Business answers and answers in doubt are values; a
   * failure that proves nothing was taken (a refused connection, the simulated failure, another
   * 4xx) throws UpstreamError. `idempotencyKey` makes a repeated call decrease once where the
   * upstream honours the header. `deadline` (performance.now()): see JsonRequest.
   */
  decrease(woodType: WoodType, quantity: number, idempotencyKey: string, deadline?: number): Promise<DecreaseAnswer>;
  /** GET /stocks/<wood_type>: the level now, or `none` when the wood type has no stock row. */
  level(woodType: WoodType): Promise<Level>;
}

export function createStockApi(http: JsonHttpClient): StockApi {
  return {
    async decrease(woodType, quantity, idempotencyKey, deadline) {
      let answer: Awaited<ReturnType<JsonHttpClient['send']>>;
      try {
        answer = await http.send({
          method: 'POST',
          path: '/stocks/decrease',
          body: { wood_type: woodType, quantity },
          headers: { 'idempotency-key': idempotencyKey },
          route: 'POST /stocks/decrease',
          // Stock calls are made under a wood type's lock, which every order of that type waits for.
          priority: 'first',
          ...(deadline === undefined ? {} : { deadline }),
        });
      } catch (error) {
        if (error instanceof UpstreamError && error.unanswered) {
          return { kind: 'uncertain', reason: error.message, serviceAnswered: false };
        }
        throw error;
      }
      const decision = classifyDecreaseAnswer(answer.statusCode, answer.json.ok ? answer.json.value : undefined);
      if (decision.kind !== 'not-taken') return decision;
      throw failure(answer, decision.retryable ? 'transient' : 'permanent');
    },

    async level(woodType) {
      const path = `/stocks/${encodeURIComponent(woodType)}`;
      const answer = await http.send({ method: 'GET', path, route: 'GET /stocks/:wood_type', priority: 'first' });
      const body = answer.json.ok ? answer.json.value : undefined;
      if (answer.statusCode === 404 && errorText(body) === 'Stock not found') return 'none';
      if (answer.statusCode === 200 && answer.json.ok) {
        try {
          return parseStockLevel(body).quantity;
        } catch (error) {
          throw new UpstreamError('permanent', `${answer.what}: ${(error as Error).message}`, { cause: error });
        }
      }
      throw failure(answer, classifyResponse('other', answer.statusCode, body));
    },
  };
}
