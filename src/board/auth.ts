import { timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

const isLoopback = (address: string): boolean =>
  address === '::1' || /^127\./.test(address) || address === '::ffff:127.0.0.1';

/**
 * Why the board may not start with these settings, or undefined. Bull Board has no authentication
 * of its own: it must not listen beyond loopback without credentials. A host name is judged by what
 * it resolves to (`127.0.0.1.example.com` may well not be loopback); one that does not resolve is refused.
 */
export async function boardAccessProblem(host: string, credentials: Credentials): Promise<string | undefined> {
  const hasUser = credentials.user !== '';
  const hasPassword = credentials.password !== '';
  if (hasUser !== hasPassword) return 'BOARD_USER and BOARD_PASSWORD must be set together';
  if (hasUser) return undefined;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((found) => found.address);
  } catch {
    return `BOARD_HOST is ${host}, which does not resolve here, so it cannot be shown to be loopback: set BOARD_USER and BOARD_PASSWORD, or use 127.0.0.1`;
  }
  const beyond = addresses.filter((address) => !isLoopback(address));
  if (beyond.length === 0) return undefined;
  const resolved = isIP(host) ? '' : ` (it resolves to ${beyond.join(', ')})`;
  return `BOARD_HOST is ${host}, beyond loopback${resolved}: set BOARD_USER and BOARD_PASSWORD so the board requires authentication`;
}

/**
 * Checks an `Authorization: Basic …` header (the scheme in any case, as HTTP says) against the
 * credentials in constant time; always true when no credentials are configured.
 */
export function isAuthorized(header: string | undefined, credentials: Credentials): boolean {
  if (credentials.user === '') return true;
  const token = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '')?.[1] ?? '';
  const decoded = Buffer.from(token, 'base64');
  // Node skips what is not base64; only a token that encodes back to itself was sent whole.
  const given = decoded.toString('base64') === token ? decoded : Buffer.alloc(0);
  const expected = Buffer.from(`${credentials.user}:${credentials.password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
