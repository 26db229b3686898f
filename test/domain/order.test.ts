import { describe, expect, it } from 'vitest';
import { parseOrder, parseOrderId, parseOrderPage } from '../../src/domain/order.ts';
import { InvalidPayloadError } from '../../src/errors.ts';

const order = { id: 5, wood_type: 'pine', quantity: 9, order_status: 'registered', date: '2026-01-01' };

describe('parseOrder', () => {
  it('maps the API fields and ignores unknown ones', () => {
    expect(parseOrder(order)).toEqual({ id: 5, woodType: 'pine', quantity: 9, status: 'registered' });
  });

  it.each([
    [null, 'order must be an object'],
    [[], 'order must be an object'],
    [{ ...order, id: '5' }, 'order id must be a positive integer, got "5"'],
    [{ ...order, id: 0 }, 'order id must be a positive integer, got 0'],
    [{ ...order, wood_type: 'teak' }, 'order 5: wood_type must be one of oak, maple, birch, elm, pine, got "teak"'],
    [{ ...order, wood_type: 'Pine' }, 'wood_type must be one of'],
    [{ ...order, quantity: -3 }, 'order 5: quantity must be a positive integer, got -3'],
    [{ ...order, quantity: 0 }, 'quantity must be a positive integer'],
    [{ ...order, quantity: 2.5 }, 'quantity must be a positive integer'],
    [{ ...order, quantity: 1e300 }, 'quantity must be a positive integer'],
    [{ ...order, quantity: '9' }, 'quantity must be a positive integer'],
    [{ ...order, order_status: 'REGISTERED' }, 'order_status must be one of'],
    [{ ...order, order_status: undefined }, 'order_status must be one of'],
  ])('refuses %j', (value, message) => {
    expect(() => parseOrder(value)).toThrowError(InvalidPayloadError);
    expect(() => parseOrder(value)).toThrowError(message);
  });
});

describe('parseOrderPage', () => {
  it('keeps the good orders and reports the bad ones', () => {
    const page = parseOrderPage([order, { ...order, id: 6, quantity: -1 }, { ...order, id: 7 }]);
    expect(page.orders.map((o) => o.id)).toEqual([5, 7]);
    expect(page.invalid).toHaveLength(1);
    expect(page.invalid[0]?.reason).toContain('order 6: quantity');
  });

  it('refuses a body that is not an array', () => {
    expect(() => parseOrderPage({ error: 'oops' })).toThrowError('order list must be an array');
  });
});

describe('parseOrderId', () => {
  it.each([
    ['42', 42],
    [' 7 ', 7],
  ])('reads %j', (text, id) => expect(parseOrderId(text)).toBe(id));
  it.each(['abc', '', '-4', '0', '1.5', '1e3', '99999999999999999999'])('refuses %j', (text) => {
    expect(() => parseOrderId(text)).toThrowError('order id must be a positive integer');
  });
});
