import { describe, expect, it } from 'vitest';
import {
  classifyDecreaseAnswer,
  type DecreaseEntry,
  describeDoubt,
  fitInOrder,
  outcomeOf,
  parseLevel,
  resolveByLevel,
} from '../../src/domain/decrease.ts';

describe('classifyDecreaseAnswer', () => {
  it.each([
    [200, { wood_type: 'oak', quantity: 7 }, { kind: 'taken', level: 7 }],
    [200, '<html>', { kind: 'taken', level: undefined }],
    [204, undefined, { kind: 'taken', level: undefined }],
    [400, { error: 'Insufficient stock' }, { kind: 'refused', outcome: 'blocked' }],
    [404, { error: 'Stock not found' }, { kind: 'refused', outcome: 'closed' }],
    // Only the contract's simulated failure is known to come before any change.
    [500, { error: 'Simulated DB error during stock decrease' }, { kind: 'not-taken', retryable: true }],
    [408, undefined, { kind: 'not-taken', retryable: true }],
    [429, { error: 'slow down' }, { kind: 'not-taken', retryable: true }],
    [400, { error: 'Invalid input' }, { kind: 'not-taken', retryable: false }],
    // A 404 from something that is not the Stock API (a proxy, a wrong base URL) is not "no stock".
    [404, '<html>Not Found</html>', { kind: 'not-taken', retryable: false }],
    // The reference service commits, then fails its refresh: the stock is gone.
    [
      500,
      { error: 'Unexpected error during stock decrease' },
      { kind: 'uncertain', reason: 'answered 500 "Unexpected error during stock decrease"', serviceAnswered: true },
    ],
    [500, '<html>', { kind: 'uncertain', reason: 'answered 500', serviceAnswered: true }],
    // A gateway gave up: the service behind it may still be working.
    [502, '<html>Bad Gateway</html>', { kind: 'uncertain', reason: 'answered 502', serviceAnswered: false }],
    [504, undefined, { kind: 'uncertain', reason: 'answered 504', serviceAnswered: false }],
  ])('%i %j is %j', (status, body, answer) => {
    expect(classifyDecreaseAnswer(status, body)).toEqual(answer);
  });

  it('maps definitive answers to the outcome table, and none while in doubt', () => {
    expect(outcomeOf({ kind: 'taken', level: 3 })).toBe('shipped');
    expect(outcomeOf({ kind: 'refused', outcome: 'closed' })).toBe('closed');
    expect(outcomeOf({ kind: 'uncertain', reason: 'x', serviceAnswered: false })).toBeUndefined();
  });
});

describe('resolveByLevel', () => {
  it.each([
    [100, 3, 97, 'taken'],
    [100, 3, 100, 'not-taken'],
    // Someone added 50 meanwhile: which part of the change was ours cannot be told.
    [100, 3, 147, 'ambiguous'],
    [100, 3, 96, 'ambiguous'],
    [100, 3, 'none', 'ambiguous'],
    ['none', 3, 'none', 'not-taken'],
    ['none', 3, 10, 'ambiguous'],
  ] as const)('level %j, %i asked, %j now: %s', (before, quantity, now, resolution) => {
    expect(resolveByLevel(before, quantity, now)).toBe(resolution);
  });
});

describe('parseLevel', () => {
  it.each([
    ['12', 12],
    ['0', 0],
    ['none', 'none'],
    ['', undefined],
    [undefined, undefined],
    ['-1', undefined],
    ['1.5', undefined],
  ])('%j is %j', (text, level) => {
    expect(parseLevel(text)).toBe(level);
  });
});

describe('describeDoubt', () => {
  const entry: DecreaseEntry = {
    id: 'd1',
    woodType: 'oak',
    quantity: 5,
    orders: [4, 9],
    levelBefore: 120,
    sentAt: Date.UTC(2026, 11, 1, 12, 0, 0),
    sentBy: 'worker-1:42',
    state: 'person',
    outcome: undefined,
    doubt: 'answered 504',
    settleAt: undefined,
    levelFound: 170,
    resolvedAt: Date.UTC(2026, 11, 1, 12, 0, 7),
  };

  it('gives the facts a person needs and the commands that settle it', () => {
    expect(describeDoubt(entry)).toBe(
      'stock decrease d1 of 5 oak for orders 4, 9, sent 2026-12-01T12:00:00.000Z by worker-1:42, may or may not have happened ' +
        '(answered 504): the oak level was 120 before it, so taken would leave 115 and not taken 120; it was 170 at ' +
        '2026-12-01T12:00:07.000Z, so the stock changed for another reason too. Check the stock, then run ' +
        '`ordermanagement replay --decreased 4` if it was taken or `ordermanagement replay --not-decreased 4` if not ' +
        '(the answer settles every order of this decrease)',
    );
  });

  it('says when no level was known and the worker stopped before the answer', () => {
    const text = describeDoubt({
      ...entry,
      orders: [4],
      levelBefore: undefined,
      doubt: undefined,
      levelFound: undefined,
    });
    expect(text).toContain('for order 4,');
    expect(text).toContain('(its worker stopped before the answer): no oak level was known before it.');
    expect(text).not.toContain('every order');
  });
});

describe('fitInOrder', () => {
  const o = (id: number, quantity: number) => ({ id, quantity });
  it('takes the orders in ascending id order while they fit, and blocks the others without using the level', () => {
    expect(fitInOrder([o(3, 4), o(1, 5), o(2, 9), o(4, 1)], 10)).toEqual({
      fit: [o(1, 5), o(3, 4), o(4, 1)],
      blocked: [o(2, 9)],
    });
  });
  it('blocks everything at level 0 and fits everything when there is enough', () => {
    expect(fitInOrder([o(1, 1)], 0)).toEqual({ fit: [], blocked: [o(1, 1)] });
    expect(fitInOrder([o(2, 2), o(1, 1)], 3)).toEqual({ fit: [o(1, 1), o(2, 2)], blocked: [] });
  });
});
