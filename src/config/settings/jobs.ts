import type { SettingSpec } from '../setting.ts';

/** How jobs run, retry, are kept, and end. */
export const jobSettings = {
  concurrency: {
    doc: 'process-order jobs one worker process runs at once.',
    format: 'positive-int',
    default: 500,
    env: 'WORKER_CONCURRENCY',
  },
  errorRate: {
    doc: 'Probability (0..1) that a process-order attempt fails on purpose before any I/O, as the reference worker did (0.1 there; the demo and the compose stack set 0.1).',
    format: 'probability',
    default: 0,
    env: 'ERROR_RATE',
  },
  randomSeed: {
    doc: 'Seed for the simulated failures; empty draws a fresh seed per process.',
    format: 'optional-int',
    default: '',
    env: 'RANDOM_SEED',
  },
  attempts: {
    doc: 'Attempts per job (cycle and process-order) before it fails for good.',
    format: 'positive-int',
    default: 5,
    env: 'RETRY_ATTEMPTS',
  },
  backoffMs: {
    doc: 'Base delay in ms of the exponential, jittered backoff between attempts.',
    format: 'non-negative-int',
    default: 1000,
    env: 'RETRY_BACKOFF_MS',
  },
  backoffMaxMs: {
    doc: 'Longest delay in ms between two attempts, however many came before; also caps a Retry-After the upstream asks for.',
    format: 'non-negative-int',
    default: 60000,
    env: 'RETRY_BACKOFF_MAX_MS',
  },
  keepCompletedSeconds: {
    doc: 'How long finished (completed) jobs stay visible before they are removed.',
    format: 'non-negative-int',
    default: 3600,
    env: 'KEEP_COMPLETED_SECONDS',
  },
  keepCompletedCount: {
    doc: 'At most this many completed jobs are kept per queue.',
    format: 'non-negative-int',
    default: 10000,
    env: 'KEEP_COMPLETED_COUNT',
  },
  keepFailedSeconds: {
    doc: 'How long failed jobs stay in the failed set for replay.',
    format: 'non-negative-int',
    default: 7 * 24 * 3600,
    env: 'KEEP_FAILED_SECONDS',
  },
  jobLockMs: {
    doc: "How long a worker's lock on a job lasts (renewed while it runs); a job whose worker died is picked up by another after about this long. At least HTTP_TIMEOUT_MS plus a second.",
    format: 'positive-int',
    default: 30000,
    env: 'JOB_LOCK_MS',
  },
  jobMaxStalls: {
    doc: 'How often a job may be picked up again after its worker vanished before it fails for good (the ledger makes a rerun safe).',
    format: 'non-negative-int',
    default: 10,
    env: 'JOB_MAX_STALLS',
  },
  shutdownTimeoutMs: {
    doc: 'On SIGTERM/SIGINT, how long active jobs may take to finish before the process exits anyway.',
    format: 'positive-int',
    default: 30000,
    env: 'SHUTDOWN_TIMEOUT_MS',
  },
} as const satisfies Record<string, SettingSpec>;
