import { describe, expect, it } from 'vitest';
import { buckets, parsePrometheus, quantileBetween, seriesValue } from '../../bench/prometheus.ts';
import { readSettings } from '../../bench/settings.ts';
import { upstreamFigures } from '../../bench/sim.ts';
import type { Simulator } from '../../src/sim/server.ts';
import { SimStore } from '../../src/sim/store.ts';

const EXPOSITION = `# HELP ordermanagement_upstream_concurrency_limit Requests in flight at once
# TYPE ordermanagement_upstream_concurrency_limit gauge
ordermanagement_upstream_concurrency_limit{upstream="order",otel_scope_name="ordermanagement"} 7
ordermanagement_upstream_concurrency_limit{upstream="stock",otel_scope_name="ordermanagement"} 3
d_bucket{http_request_method="PUT",server_port="1",le="0.01"} 2
d_bucket{http_request_method="PUT",server_port="1",le="0.1"} 6
d_bucket{http_request_method="PUT",server_port="1",le="+Inf"} 6
d_bucket{http_request_method="GET",server_port="1",le="0.01"} 50
d_bucket{http_request_method="GET",server_port="1",le="0.1"} 50
d_bucket{http_request_method="GET",server_port="1",le="+Inf"} 50
`;

describe('the bench reads a worker’s /metrics', () => {
  it('finds a series by its labels', () => {
    const samples = parsePrometheus(EXPOSITION);
    expect(seriesValue(samples, 'ordermanagement_upstream_concurrency_limit', { upstream: 'stock' })).toBe(3);
    expect(seriesValue(samples, 'ordermanagement_upstream_concurrency_limit', { upstream: 'board' })).toBeUndefined();
  });

  it('takes a quantile of what a histogram counted between two scrapes, within its buckets', () => {
    const after = buckets(parsePrometheus(EXPOSITION), 'd', { http_request_method: 'PUT' });
    expect([...after]).toEqual([
      [0.01, 2],
      [0.1, 6],
      [Number.POSITIVE_INFINITY, 6],
    ]);
    // Rank 3 of 6 is the first of the four answers between 0.01 and 0.1 s.
    expect(quantileBetween(new Map(), after, 0.5)).toBeCloseTo(0.01 + 0.09 / 4);
    const before = new Map([
      [0.01, 2],
      [0.1, 2],
      [Number.POSITIVE_INFINITY, 2],
    ]);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.01 + 0.09 / 2);
    expect(quantileBetween(after, after, 0.5)).toBeUndefined();
  });
});

describe('what the bench judges a run by', () => {
  it('calls an order blocked wrongly when the stock left would still cover it, and counts Order-API requests', () => {
    const store = new SimStore();
    store.addStock('birch', 5);
    const fits = store.createOrder('birch', 5);
    const tooBig = store.createOrder('birch', 6);
    store.setStatus(fits, 'blocked');
    store.setStatus(tooBig, 'blocked');
    store.orderWrites = 2;
    store.listings.total = 1;
    const bench = { store, sim: {} as Simulator, initialStock: new Map([['birch', 5]]) };
    expect(upstreamFigures(bench, 2)).toMatchObject({
      blockedWhileFitting: 1,
      stockExact: true,
      orderRequestsPerOrder: 1.5,
    });
    store.stock.set('birch', 4);
    expect(upstreamFigures(bench, 2).stockExact).toBe(false);
  });

  it('reads the slowdown phases and refuses a malformed list', () => {
    expect(readSettings({ BENCH_SLOWDOWN_SECONDS: '5,6,7' }).slowdownSeconds).toEqual({ before: 5, slow: 6, after: 7 });
    expect(() => readSettings({ BENCH_SLOWDOWN_SECONDS: '5,6' })).toThrow(/BENCH_SLOWDOWN_SECONDS/);
  });
});
