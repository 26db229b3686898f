import type { SettingSpec } from '../setting.ts';

/** How stock is taken: serialized per wood type, exactly once through the decrease ledger. */
export const stockSettings = {
  serializeDecreases: {
    doc: 'Take stock one decrease per wood type at a time across all replicas (the reference Stock API loses concurrent updates); false for atomic upstreams.',
    format: 'boolean-text',
    default: 'true',
    env: 'SERIALIZE_STOCK_DECREASES',
  },
  stockIdempotencyKeys: {
    doc: 'Does the Stock API honour Idempotency-Key? ignored (the reference services): a decrease in doubt is judged by the stock level; honoured: it is sent again under its key.',
    format: ['ignored', 'honoured'],
    default: 'ignored',
    env: 'STOCK_IDEMPOTENCY_KEYS',
  },
  stockBatchMax: {
    doc: 'With SERIALIZE_STOCK_DECREASES, the most orders of one wood type whose stock is taken in one request (their sum), all that wait when its lock is granted; 1 sends one request per order.',
    format: 'positive-int',
    default: 100,
    env: 'STOCK_BATCH_MAX',
  },
  stockLockWaitMs: {
    doc: 'How long a decrease waits for its wood type lock before the attempt fails and is retried.',
    format: 'positive-int',
    default: 30000,
    env: 'STOCK_LOCK_WAIT_MS',
  },
  stockLockLeaseMs: {
    doc: "How long a wood type's lock outlives a holder that vanished mid-call; renewed before each request, so it must outlast one (HTTP_TIMEOUT_MS plus a second).",
    format: 'positive-int',
    default: 15000,
    env: 'STOCK_LOCK_LEASE_MS',
  },
  stockLateDecreaseMs: {
    doc: 'How long after HTTP_TIMEOUT_MS a decrease whose answer was lost may still be applied by the Stock API (a proxy, or a slow server still at work): one that looks not taken is judged so only after it, its wood type waiting meanwhile. One that lands later is still seen, and flagged as stock taken twice.',
    format: 'non-negative-int',
    default: 30000,
    env: 'STOCK_LATE_DECREASE_MS',
  },
  ledgerKeepSeconds: {
    doc: 'How long the decrease ledger keeps what it knows of an order once its stock call is settled; at least as long as any job is kept. Entries in doubt or waiting for a person are kept until settled.',
    format: 'non-negative-int',
    default: 30 * 24 * 3600,
    env: 'LEDGER_KEEP_SECONDS',
  },
} as const satisfies Record<string, SettingSpec>;
