import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { WoodType } from '../domain/order.ts';

/**
 * Where the stock lock and the decrease ledger live in Redis. They belong to the Stock API they
 * guard, not to one deployment: two deployments (two queue prefixes) on one Redis and one Stock API
 * share the lock of each wood type, so their decreases are serialized against each other, and share
 * the ledger, so neither decreases an order the other already did. Order records are keyed by the
 * Order API too, since two Order APIs number their orders alike. The braces make one Redis Cluster
 * hash tag of the Stock API, so every key a ledger script touches is in one slot.
 */

/** A service's identity: its URL without credentials, query or fragment, lower-cased, with its port. */
export function serviceIdentity(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.hostname.toLowerCase()}:${port}${path}`;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

export interface StockKeys {
  /** What the keys are derived from, for logs (no credentials). */
  readonly stockApi: string;
  readonly ordersApi: string;
  /** The prefix every key shares (its hash tag names the Stock API). */
  readonly prefix: string;
  /** A wood type's lock: the token of its holder, with the lease as its expiry. */
  lock(woodType: WoodType | string): string;
  /** A wood type's ledger state: its pending decrease, its last known level, decreases judged not taken. */
  wood(woodType: WoodType | string): string;
  /** Entries by id (the Idempotency-Key their request carried), as the prefix scripts append ids to. */
  readonly entryPrefix: string;
  /** Order records by order id, as the prefix scripts append ids to. */
  readonly orderPrefix: string;
  readonly stats: string;
  /** Entries waiting for a person. */
  readonly person: string;
  /** The ledger's epoch: which incarnation of this Redis' data the workers know. */
  readonly epoch: string;
}

/** The keys of the stock lock and ledger of `config`'s Stock API and Order API. */
export function stockKeys(config: Pick<Config, 'stocksUrl' | 'ordersUrl'>): StockKeys {
  const stockApi = serviceIdentity(config.stocksUrl);
  const ordersApi = serviceIdentity(config.ordersUrl);
  const prefix = `ordermanagement:{stock-${digest(stockApi, 16)}}`;
  return {
    stockApi,
    ordersApi,
    prefix,
    lock: (woodType) => `${prefix}:lock:${woodType}`,
    wood: (woodType) => `${prefix}:wood:${woodType}`,
    entryPrefix: `${prefix}:decrease:`,
    orderPrefix: `${prefix}:order:${digest(ordersApi, 8)}:`,
    stats: `${prefix}:stats`,
    person: `${prefix}:person`,
    epoch: `${prefix}:epoch`,
  };
}
