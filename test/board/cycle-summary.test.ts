import { describe, expect, it } from 'vitest';
import { describeCycle } from '../../src/board/cycle-summary.ts';

const fanOut = { fetched: 300, enqueued: 300, skipped: 0, invalid: 0, pages: 1 };
const outcomes = { shipped: 280, blocked: 20, closed: 0, skipped: 0, vanished: 0, failed: 0 };

describe('describeCycle', () => {
  it('says what a finished cycle did, leaving out outcomes that did not happen', () => {
    expect(describeCycle({ name: 'cycle', returnvalue: { ...fanOut, outcomes }, finishedOn: 1 })).toBe(
      'cycle · 300 orders · 280 shipped · 20 blocked',
    );
    expect(
      describeCycle({
        name: 'cycle',
        returnvalue: {
          ...fanOut,
          enqueued: 1,
          skipped: 4,
          invalid: 2,
          cut: 'max-orders',
          throttled: true,
          outcomes: { ...outcomes, shipped: 0, blocked: 0, failed: 1 },
        },
      }),
    ).toBe(
      'cycle · 1 order · 1 failed · 4 already had a job · 2 invalid list elements · throttled (backpressure) · stopped listing: max-orders',
    );
  });

  it('says when a cycle found nothing to do', () => {
    const empty = { ...fanOut, fetched: 0, enqueued: 0, outcomes: { ...outcomes, shipped: 0, blocked: 0 } };
    expect(describeCycle({ name: 'cycle', returnvalue: empty })).toBe('cycle · 0 orders · nothing to do');
    expect(describeCycle({ name: 'cycle', returnvalue: { ...empty, fetched: 3, skipped: 3 } })).toBe(
      'cycle · 0 orders · 3 already had a job',
    );
  });

  it('says a cycle is still at work, or failed, from what its data holds', () => {
    expect(describeCycle({ name: 'cycle', data: {} })).toBe('cycle · listing orders');
    expect(describeCycle({ name: 'cycle', data: {}, finishedOn: 5 })).toBe('cycle · failed before it listed orders');
    expect(describeCycle({ name: 'cycle', data: { fanOut }, returnvalue: null })).toBe(
      'cycle · 300 orders · processing',
    );
    expect(describeCycle({ name: 'cycle', data: { fanOut }, finishedOn: 5 })).toBe('cycle · 300 orders · failed');
  });

  it('reads hand-made job data without throwing', () => {
    for (const data of [null, 'x', 42, [], { fanOut: 'x' }, { fanOut: { enqueued: '3', skipped: -1, invalid: 1.5 } }]) {
      expect(describeCycle({ name: 'cycle', data })).toMatch(/^cycle · /);
    }
    expect(describeCycle({ name: 'cycle', data: { fanOut: { enqueued: '3' } } })).toBe('cycle · 0 orders · processing');
    expect(describeCycle({ name: 'cycle', returnvalue: { enqueued: 2, outcomes: 'x' } })).toBe('cycle · 2 orders');
  });
});
