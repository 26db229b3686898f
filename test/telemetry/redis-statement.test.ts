import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redisStatement } from '../../src/telemetry/redis-statement.ts';

describe('the Redis span statement', () => {
  it('names an EVAL by its script SHA, as the EVALSHA that runs it later', () => {
    const script = "return redis.call('GET', KEYS[1]) -- orderId";
    const sha = createHash('sha1').update(script).digest('hex');
    expect(redisStatement('eval', [script, 1, 'k', '{"orderId":7}'])).toBe(`eval ${sha} k [1 args]`);
    expect(redisStatement('evalsha', [sha, 1, 'k', '{"orderId":7}'])).toBe(`evalsha ${sha} k [1 args]`);
  });

  it('keeps keys, never argument values', () => {
    expect(redisStatement('evalsha', ['abc', 2, 'a', 'b', 'secret', 'x'])).toBe('evalsha abc a b [2 args]');
    expect(redisStatement('set', ['key', 'secret-value', 'PX', 10])).toBe('set key [3 args]');
    expect(redisStatement('ping', [])).toBe('ping [0 args]');
  });

  it('survives a malformed key count', () => {
    expect(redisStatement('evalsha', ['abc', 'x', 'a'])).toBe('evalsha abc [1 args]');
  });
});
