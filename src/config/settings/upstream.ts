import type { SettingSpec } from '../setting.ts';

/** The Order and Stock APIs and how they are called. */
export const upstreamSettings = {
  ordersUrl: {
    doc: 'Base URL of the Order API; user:password in it are sent as basic auth and never logged.',
    format: 'http-url',
    sensitive: true,
    default: 'http://order:5000',
    env: 'API_URL_ORDERS',
  },
  stocksUrl: {
    doc: 'Base URL of the Stock API; user:password in it are sent as basic auth and never logged.',
    format: 'http-url',
    sensitive: true,
    default: 'http://stock:5001',
    env: 'API_URL_STOCKS',
  },
  httpTimeoutMs: {
    doc: 'The most one request to the Order or Stock API may take, in ms, from connecting to the last byte of the answer.',
    format: 'positive-int',
    default: 5000,
    env: 'HTTP_TIMEOUT_MS',
  },
  httpConnections: {
    doc: 'Keep-alive connections per upstream (Order API, Stock API) and worker process; more than WORKER_CONCURRENCY are never used.',
    format: 'positive-int',
    default: 256,
    env: 'HTTP_CONNECTIONS',
  },
  orderRereadAfterMs: {
    doc: 'An order a cycle listed registered less than this many ms ago is processed as listed (every cycle lists every registered order); one not listed that recently is read again first, so a status changed meanwhile is seen. Empty: two cycle intervals. 0 reads every order again.',
    format: 'optional-int',
    default: '',
    env: 'ORDER_REREAD_AFTER_MS',
  },
} as const satisfies Record<string, SettingSpec>;
