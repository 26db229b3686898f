import { timingSafeEqual } from 'node:crypto';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Why the board may not start with these settings, or undefined. Bull Board has no authentication
 * of its own: beyond loopback it must not listen without credentials.
 */
export function boardAccessProblem(host: string, credentials: Credentials): string | undefined {
  const hasUser = credentials.user !== '';
  const hasPassword = credentials.password !== '';
  if (hasUser !== hasPassword) return 'BOARD_USER and BOARD_PASSWORD must be set together';
  if (!hasUser && !LOOPBACK.has(host) && !host.startsWith('127.')) {
    return `BOARD_HOST is ${host}, beyond loopback: set BOARD_USER and BOARD_PASSWORD so the board requires authentication`;
  }
  return undefined;
}

/** Checks an `Authorization: Basic …` header in constant time; always true when no credentials are configured. */
export function isAuthorized(header: string | undefined, credentials: Credentials): boolean {
  if (credentials.user === '') return true;
  const expected = Buffer.from(
    `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
  );
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
