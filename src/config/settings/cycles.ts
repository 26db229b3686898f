import type { SettingSpec } from '../setting.ts';

/** When cycles run and how much one may take on. */
export const cycleSettings = {
  intervalSeconds: {
    doc: 'Seconds between two cycles (the job scheduler interval).',
    format: 'positive-number',
    default: 5,
    env: 'INTERVAL_SECONDS',
  },
  pageSize: {
    doc: 'Orders fetched per page from the Order API (sent as limit); larger pages mean fewer list requests per cycle and fewer orders passed by while workers ship.',
    format: 'page-size',
    default: 1000,
    env: 'PAGE_SIZE',
  },
  maxOrdersPerCycle: {
    doc: 'The most orders one cycle lists; the rest wait for the next. Bounds a cycle against an Order API that never stops paging.',
    format: 'positive-int',
    default: 100000,
    env: 'MAX_ORDERS_PER_CYCLE',
  },
  cycleErrorRate: {
    doc: 'Probability (0..1) that a cycle attempt fails on purpose before any I/O (the demo and the compose stack set 0.1).',
    format: 'probability',
    default: 0,
    env: 'CYCLE_ERROR_RATE',
  },
  backpressureRatio: {
    doc: 'Backpressure: when at least this share of the last 30 s of upstream calls failed (and 20 or more did), cycles add only BACKPRESSURE_PROBE_ORDERS orders; 0 turns it off.',
    format: 'probability',
    default: 0.8,
    env: 'BACKPRESSURE_FAILURE_RATIO',
  },
  backpressureProbe: {
    doc: 'Backpressure: orders a throttled cycle still adds, to see whether the upstream is back.',
    format: 'positive-int',
    default: 10,
    env: 'BACKPRESSURE_PROBE_ORDERS',
  },
} as const satisfies Record<string, SettingSpec>;
