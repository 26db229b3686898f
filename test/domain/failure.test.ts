import { describe, expect, it } from 'vitest';
import {
  classifyNetworkError,
  classifyResponse,
  isRetryable,
  mayHaveBeenSent,
  upstreamFailed,
} from '../../src/domain/failure.ts';
import {
  ConfigError,
  DecreaseInDoubt,
  DecreaseNeedsPerson,
  InvalidPayloadError,
  ShuttingDown,
  SimulatedFailure,
  StockLockTimeout,
  UpstreamError,
  WoodTypeStalled,
} from '../../src/errors.ts';

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

describe('isRetryable', () => {
  it('retries transient upstream failures, simulated failures, waits of its own and Redis error replies', () => {
    const reply = Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' });
    for (const error of [
      new UpstreamError('transient', '503'),
      new SimulatedFailure('test'),
      new StockLockTimeout('lock'),
      new ShuttingDown('stop'),
      new DecreaseInDoubt('doubt'),
      new WoodTypeStalled('stalled'),
      reply,
    ]) {
      expect(isRetryable(error), error.name).toBe(true);
    }
  });

  it('fails at once on what another attempt cannot change', () => {
    for (const error of [
      new UpstreamError('permanent', '422'),
      new UpstreamError('order-not-found', '404'),
      new DecreaseNeedsPerson('ask'),
      new InvalidPayloadError('bad'),
      new ConfigError(['X: bad']),
      new Error('a bug'),
    ]) {
      expect(isRetryable(error), error.name).toBe(false);
    }
  });
});

describe('upstreamFailed (backpressure)', () => {
  it('counts only an upstream failure worth retrying', () => {
    expect(upstreamFailed(new UpstreamError('transient', 'reset', { unanswered: true }))).toBe(true);
    expect(upstreamFailed(new UpstreamError('permanent', '422'))).toBe(false);
    expect(upstreamFailed(new UpstreamError('order-not-found', '404'))).toBe(false);
  });

  it('does not count waits of its own: a stock-lock timeout is not the upstream failing', () => {
    for (const error of [
      new StockLockTimeout('lock'),
      new ShuttingDown('stop'),
      new DecreaseInDoubt('doubt'),
      new WoodTypeStalled('stalled'),
      new SimulatedFailure('test'),
    ]) {
      expect(upstreamFailed(error), error.name).toBe(false);
    }
  });
});
