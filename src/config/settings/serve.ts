import type { SettingSpec } from '../setting.ts';

/** What worker processes serve for probes. */
export const healthSettings = {
  healthHost: {
    doc: 'Address of the /livez and /readyz endpoints of worker processes (0.0.0.0 for Kubernetes probes).',
    format: 'host',
    default: '127.0.0.1',
    env: 'HEALTH_HOST',
  },
  healthPort: {
    doc: 'Port of the /livez and /readyz endpoints of worker processes; 0 turns them off.',
    format: 'port',
    default: 0,
    env: 'HEALTH_PORT',
  },
} as const satisfies Record<string, SettingSpec>;

/** Bull Board, with replay and search by order id. */
export const boardSettings = {
  boardHost: {
    doc: 'Board: listen address. Anything that resolves beyond loopback requires BOARD_USER and BOARD_PASSWORD.',
    format: 'host',
    default: '127.0.0.1',
    env: 'BOARD_HOST',
  },
  boardPort: {
    doc: 'Board: port of Bull Board, replay/search API and health endpoints.',
    format: 'port',
    default: 3000,
    env: 'BOARD_PORT',
  },
  boardUser: {
    doc: 'Board: basic-auth user name (with BOARD_PASSWORD; both empty means no authentication, loopback only).',
    format: String,
    default: '',
    env: 'BOARD_USER',
  },
  boardPassword: {
    doc: 'Board: basic-auth password; never logged.',
    format: String,
    default: '',
    env: 'BOARD_PASSWORD',
    sensitive: true,
  },
  boardReadOnly: {
    doc: 'Board: read-only mode; retry, remove, pause and replay answer 405.',
    format: 'boolean-text',
    default: 'false',
    env: 'BOARD_READ_ONLY',
  },
  boardBasePath: {
    doc: 'Board: path prefix it is served under, e.g. /board behind a reverse proxy that keeps the prefix.',
    format: 'base-path',
    default: '/',
    env: 'BOARD_BASE_PATH',
  },
} as const satisfies Record<string, SettingSpec>;
