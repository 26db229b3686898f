import { describe, expect, it } from 'vitest';
import { boardAccessProblem, isAuthorized } from '../../src/board/auth.ts';

const none = { user: '', password: '' };
const admin = { user: 'admin', password: 's3cret' };
const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('boardAccessProblem', () => {
  it.each([
    ['127.0.0.1', none, undefined],
    ['::1', none, undefined],
    ['0.0.0.0', admin, undefined],
    ['0.0.0.0', none, 'BOARD_HOST is 0.0.0.0, beyond loopback: set BOARD_USER and BOARD_PASSWORD'],
    ['10.1.2.3', none, 'BOARD_HOST is 10.1.2.3'],
    ['127.0.0.1', { user: 'admin', password: '' }, 'BOARD_USER and BOARD_PASSWORD must be set together'],
    ['localhost', none, undefined],
    // Looks like loopback, is not: judged by what it resolves to (here, nothing).
    ['127.0.0.1.example.invalid', none, 'BOARD_HOST is 127.0.0.1.example.invalid, which does not resolve here'],
    ['127.0.0.1.example.invalid', admin, undefined],
  ])('%s %j', async (host, credentials, problem) => {
    const found = await boardAccessProblem(host, credentials);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('isAuthorized', () => {
  it('accepts exactly the configured credentials', () => {
    expect(isAuthorized(header('admin', 's3cret'), admin)).toBe(true);
    expect(isAuthorized(header('admin', 's3cre'), admin)).toBe(false);
    expect(isAuthorized(header('Admin', 's3cret'), admin)).toBe(false);
    expect(isAuthorized(undefined, admin)).toBe(false);
    expect(isAuthorized('Bearer x', admin)).toBe(false);
    expect(isAuthorized('Basic', admin)).toBe(false);
    expect(isAuthorized(`${header('admin', 's3cret')}x`, admin)).toBe(false);
  });
  it('matches the scheme in any case, as HTTP says', () => {
    for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
      expect(isAuthorized(header('admin', 's3cret').replace('Basic', scheme), admin)).toBe(true);
    }
  });
  it('lets everyone in when no credentials are configured (loopback only, see boardAccessProblem)', () => {
    expect(isAuthorized(undefined, none)).toBe(true);
  });
});
