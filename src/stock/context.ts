import type { StockApi } from '../clients/stock-api.ts';
import type { Logger } from '../logger.ts';
import type { Random } from '../random.ts';
import type { LedgerEpoch } from './epoch.ts';
import type { Ledger } from './ledger.ts';
import type { StockLock } from './lock.ts';

/** After a sender's lease lapsed, how much longer its entry is left alone before it is judged. */
export const SETTLE_MARGIN_MS = 1000;

export interface StockTakerOptions {
  readonly stockApi: StockApi;
  readonly ledger: Ledger;
  /** The ledger's epoch this worker joined: no decrease is sent once Redis has lost the ledger. */
  readonly epoch: Pick<LedgerEpoch, 'id' | 'lost' | 'lose'>;
  /** Serializes decreases per wood type (SERIALIZE_STOCK_DECREASES); absent for atomic upstreams. */
  readonly lock: StockLock | undefined;
  /** How long an order may wait for its wood type's lock (STOCK_LOCK_WAIT_MS). */
  readonly waitMs: number;
  /** The most one request may take (HTTP_TIMEOUT_MS), from the moment its entry is written. */
  readonly requestTimeoutMs: number;
  /**
   * How long after its timeout a decrease whose answer was lost may still be applied by the Stock API
   * (STOCK_LATE_DECREASE_MS): one that looks not taken is judged so only after it.
   */
  readonly lateDecreaseMs: number;
  /** The Stock API dedupes decreases by Idempotency-Key: one in doubt is sent again under its key. */
  readonly keysHonoured: boolean;
  /** Orders one request may cover. */
  readonly maxBatch: number;
  /**
   * The least time between two decreases of one wood type from this process, in ms, while
   * `holdBatches` says the orders would wait anyway: the orders that arrive meanwhile share the next
   * request, so the Stock API serves a few large decreases rather than one per order. An order
   * arriving after a quiet spell goes at once, and a full batch never waits.
   */
  readonly batchSpacingMs: number;
  /** Whether holding a batch back costs nothing: the orders' status updates queue for the Order API. */
  readonly holdBatches: () => boolean;
  /** This worker's name (host:pid), recorded on each entry it sends. */
  readonly name: string;
  readonly random: Random;
  readonly logger: Logger;
}

/** What the parts of the stock taker share: its options, and the signal that it is closing. */
export interface StockContext extends StockTakerOptions {
  readonly closing: AbortSignal;
}

/** How long after it was sent (Redis' clock) a decrease whose answer was lost may still land. */
export const settleDelayMs = (ctx: Pick<StockContext, 'requestTimeoutMs' | 'lateDecreaseMs'>): number =>
  ctx.requestTimeoutMs + ctx.lateDecreaseMs;
