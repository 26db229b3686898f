import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyResponse } from '../src/errors.ts';

describe('classifyResponse', () => {
  it.each([
    ['decrease-stock', 400, { error: 'Insufficient stock' }, 'insufficient-stock'],
    ['decrease-stock', 404, { error: 'Stock not found' }, 'stock-not-found'],
    ['decrease-stock', 400, { error: 'Invalid input' }, 'permanent'],
    ['decrease-stock', 400, { error: 'Missing request body' }, 'permanent'],
    ['decrease-stock', 500, { error: 'Simulated DB error during stock decrease' }, 'transient'],
    ['get-order', 404, { error: 'Order not found' }, 'order-not-found'],
    ['get-order', 502, { error: 'Simulated API error during order retrieval' }, 'transient'],
    ['other', 404, { error: 'Order not found' }, 'permanent'],
    ['other', 400, undefined, 'permanent'],
    ['other', 408, undefined, 'transient'],
    ['other', 429, undefined, 'transient'],
    ['other', 503, '<html>', 'transient'],
    ['other', 409, undefined, 'permanent'],
    // A 404 from something that is not the Stock API (a proxy, a wrong base URL) is not "no stock".
    ['decrease-stock', 404, '<html>Not Found</html>', 'permanent'],
  ] as const)('%s %i %j is %s', (endpoint, status, body, kind) => {
    expect(classifyResponse(endpoint, status, body)).toBe(kind);
  });
});

describe('classifyNetworkError', () => {
  it.each([
    ['ECONNREFUSED', 'transient'],
    ['ECONNRESET', 'transient'],
    ['UND_ERR_HEADERS_TIMEOUT', 'transient'],
    ['UND_ERR_BODY_TIMEOUT', 'transient'],
    ['UND_ERR_CONNECT_TIMEOUT', 'transient'],
    ['ERR_INVALID_URL', 'permanent'],
  ])('%s is %s', (code, kind) => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code }))).toBe(kind);
  });
});
