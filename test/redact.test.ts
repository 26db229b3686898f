import { describe, expect, it } from 'vitest';
import { redactUrl } from '../src/redact.ts';

describe('redactUrl', () => {
  it.each([
    ['redis://user:secret@host:6379/0', 'redis://user:***@host:6379/0'],
    ['rediss://:secret@host', 'rediss://:***@host'],
    ['redis://token@host', 'redis://***@host'],
    ['connect to redis://default:p%40ss@10.0.0.1:6379 failed', 'connect to redis://default:***@10.0.0.1:6379 failed'],
    ['redis://host:6379', 'redis://host:6379'],
    ['http://a:b@x and redis://c:d@y', 'http://a:***@x and redis://c:***@y'],
  ])('%s', (input, output) => expect(redactUrl(input)).toBe(output));
});
