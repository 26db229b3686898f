import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { boardAccessProblem, type Credentials, requireCredentials } from '../../src/board/auth.ts';

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
    ['127.0.0.1', { user: 'ad:min', password: 'x' }, 'BOARD_USER must not contain a colon'],
  ])('%s %j', async (host, credentials, problem) => {
    const found = await boardAccessProblem(host, credentials);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

/** Whether a request with this Authorization header gets past the board's auth middleware. */
async function isAuthorized(header: string | undefined, credentials: Credentials): Promise<boolean> {
  const app = new Hono().use(requireCredentials(credentials)).get('/', (c) => c.text('in'));
  const res = await app.request('/', { headers: header === undefined ? {} : { authorization: header } });
  if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Basic realm="ordermanagement"');
  return res.status === 200;
}

describe('requireCredentials', () => {
  it('accepts exactly the configured credentials', async () => {
    expect(await isAuthorized(header('admin', 's3cret'), admin)).toBe(true);
    expect(await isAuthorized(header('admin', 's3cre'), admin)).toBe(false);
    expect(await isAuthorized(header('Admin', 's3cret'), admin)).toBe(false);
    expect(await isAuthorized(undefined, admin)).toBe(false);
    expect(await isAuthorized('Bearer x', admin)).toBe(false);
    expect(await isAuthorized('Basic', admin)).toBe(false);
    expect(await isAuthorized(`${header('admin', 's3cret')}x`, admin)).toBe(false);
    expect(await isAuthorized(header('admin', 's3cret:'), admin)).toBe(false);
    expect(await isAuthorized(header('admin:s3cret', ''), admin)).toBe(false);
  });
  it('matches the scheme in any case, as HTTP says', async () => {
    for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
      expect(await isAuthorized(header('admin', 's3cret').replace('Basic', scheme), admin)).toBe(true);
    }
  });
  it('takes a password with colons and any Unicode', async () => {
    const unicode = { user: 'zoë', password: 'pa:ss 🔑' };
    expect(await isAuthorized(header('zoë', 'pa:ss 🔑'), unicode)).toBe(true);
    expect(await isAuthorized(header('zoe', 'pa:ss 🔑'), unicode)).toBe(false);
  });
  it('lets everyone in when no credentials are configured (loopback only, see boardAccessProblem)', async () => {
    expect(await isAuthorized(undefined, none)).toBe(true);
  });
});
