import { describe, expect, it } from 'vitest';
import { parseProcessOrderData } from '../../src/queue/jobs.ts';

describe('parseProcessOrderData', () => {
  it('accepts what the cycle and replay add', () => {
    expect(parseProcessOrderData({ orderId: 3 })).toEqual({ orderId: 3 });
    const listed = { orderId: 3, listed: { woodType: 'oak', quantity: 2 } };
    expect(parseProcessOrderData(listed)).toEqual(listed);
  });
  it.each([
    [null, 'job data must be an object'],
    [{}, 'orderId must be a positive integer'],
    [{ orderId: 'abc' }, 'orderId must be a positive integer, got "abc"'],
    [{ orderId: 3, listed: { woodType: 'teak', quantity: 2 } }, 'listed must be { woodType: oak|maple|birch|elm|pine'],
    [{ orderId: 3, listed: { woodType: 'oak', quantity: 0 } }, 'quantity: a positive integer }, got'],
    [{ orderId: 3, listed: 'oak' }, 'job data listed must be'],
  ])('refuses %j', (value, message) => {
    expect(() => parseProcessOrderData(value)).toThrowError(message);
  });
});
