import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';

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
  // Basic auth sends user:password; a colon in the user would end it early (RFC 7617).
  if (credentials.user.includes(':')) return 'BOARD_USER must not contain a colon (basic auth cannot send one)';
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
 * Basic auth in front of everything it guards (Hono's: the scheme in any case, as HTTP says, and
 * the credentials compared in constant time); nothing when no credentials are configured, which
 * boardAccessProblem allows on loopback only.
 */
export function requireCredentials(credentials: Credentials): MiddlewareHandler {
  if (credentials.user === '') return (_c, next) => next();
  return basicAuth({
    username: credentials.user,
    password: credentials.password,
    realm: 'ordermanagement',
    invalidUserMessage: 'authentication required',
  });
}
