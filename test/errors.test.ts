import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyResponse, mayHaveBeenSent } from '../src/errors.ts';

describe('classifyResponse', () => {
  it.each([
    ['order', 404, { error: 'Order not found' }, 'order-not-found'],
    ['order', 502, { error: 'Simulated API error during order retrieval' }, 'transient'],
    ['other', 404, { error: 'Order not found' }, 'permanent'],
    ['other', 400, undefined, 'permanent'],
    ['other', 408, undefined, 'transient'],
    ['other', 429, undefined, 'transient'],
    ['other', 503, '<html>', 'transient'],
    ['other', 409, undefined, 'permanent'],
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
    ['TimeoutError', 'transient'],
    ['ERR_INVALID_URL', 'permanent'],
  ])('%s is %s', (code, kind) => {
    const error = code === 'TimeoutError' ? new DOMException('deadline', 'TimeoutError') : new Error('x');
    expect(classifyNetworkError(Object.assign(error, code === 'TimeoutError' ? {} : { code }))).toBe(kind);
  });
});

describe('mayHaveBeenSent', () => {
  it.each([
    ['ECONNREFUSED', false],
    ['UND_ERR_CONNECT_TIMEOUT', false],
    ['ECONNRESET', true],
    ['UND_ERR_HEADERS_TIMEOUT', true],
  ])('%s: %s', (code, sent) => {
    expect(mayHaveBeenSent(Object.assign(new Error('x'), { code }))).toBe(sent);
  });
  it('counts the whole-request deadline as possibly sent', () => {
    expect(mayHaveBeenSent(new DOMException('deadline', 'TimeoutError'))).toBe(true);
  });
});
