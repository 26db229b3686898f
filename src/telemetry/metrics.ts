import {
  type Attributes,
  type BatchObservableResult,
  type Counter,
  type MetricOptions,
  metrics,
} from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { WOOD_TYPES } from '../domain/order.ts';
import { ORDER_QUEUE } from '../queue/jobs.ts';

/**
 * The project's instruments. They come from the global MeterProvider: without the telemetry
 * preload they are no-ops and cost next to nothing.
 */
const meter = metrics.getMeter('ordermanagement');

/**
 * A counter reported at 0 from the start for each attribute set in `series`, not only after its
 * first increment: an alert or a dashboard then sees 0 instead of no data, and `increase()` counts
 * the first event. Every counter the README lists is made here, with the series it can have.
 */
export function counterFromZero(name: string, options: MetricOptions, series: readonly Attributes[] = [{}]): Counter {
  const counter = meter.createCounter(name, options);
  for (const attributes of series) counter.add(0, attributes);
  return counter;
}

/** Each value of one attribute, as series for counterFromZero. */
const each = (attribute: string, values: readonly (string | boolean)[]): Attributes[] =>
  values.map((value) => ({ [attribute]: value }));

export const ordersProcessed = counterFromZero(
  'ordermanagement.orders.processed',
  {
    description: 'process-order jobs finished, by outcome (shipped, blocked, closed, skipped, vanished, failed)',
    unit: '{order}',
  },
  each('outcome', ['shipped', 'blocked', 'closed', 'skipped', 'vanished', 'failed']),
);

export const orderAnomalies = counterFromZero(
  'ordermanagement.orders.anomalies',
  {
    description:
      'Things that should not happen, by kind (stock-taken-order-vanished: stock taken, then the order was gone; decrease-landed-after-settled)',
    unit: '{order}',
  },
  each('kind', ['stock-taken-order-vanished', 'decrease-landed-after-settled']),
);

export const jobAttempts = counterFromZero(
  'ordermanagement.job.attempts',
  { description: 'Job attempts by queue and result (ok, retry, failed, parked)', unit: '{attempt}' },
  each('result', ['ok', 'retry', 'failed', 'parked']).map((series) => ({ queue: ORDER_QUEUE, ...series })),
);

export const ordersRegisteredAgain = counterFromZero('ordermanagement.orders.registered_again', {
  description:
    'Orders listed registered again after their job had completed; each waits for a person (ordermanagement replay)',
  unit: '{order}',
});

/**
 * Buckets for durations in seconds, from a fast job (5 ms) to a cycle of a large backlog; the SDK's
 * default boundaries (0, 5, 10 … 10000) are meant for milliseconds and put every job in the first.
 */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

// The unit is in the names too: the Prometheus exporter does not add `_seconds`, Prometheus' OTLP
// translation does unless the name ends with it, so both paths give the dashboard the same series.
export const jobDuration = meter.createHistogram('ordermanagement.job.duration_seconds', {
  description: 'Duration of one job attempt, by queue',
  unit: 's',
  advice: { explicitBucketBoundaries: SECONDS },
});

export const cycleDuration = meter.createHistogram('ordermanagement.cycle.duration_seconds', {
  description: 'From the start of a cycle to the end of its fan-out',
  unit: 's',
  advice: { explicitBucketBoundaries: SECONDS },
});

export const ordersPerCycle = meter.createHistogram('ordermanagement.cycle.orders', {
  description: 'Orders a cycle enqueued',
  unit: '{order}',
  advice: { explicitBucketBoundaries: [0, 1, 10, 100, 1000, 10_000, 100_000] },
});

export const cycleFailures = counterFromZero(
  'ordermanagement.cycle.failures',
  {
    description: 'Cycle attempts that failed, by whether it was the last (final=true) or will be retried',
    unit: '{attempt}',
  },
  each('final', [true, false]),
);

export const cyclesCut = counterFromZero(
  'ordermanagement.cycle.cut',
  {
    description: 'Cycles that stopped listing early: nothing-new (the Order API repeats its pages) or max-orders',
    unit: '{cycle}',
  },
  each('reason', ['nothing-new', 'max-orders']),
);

export const cyclesThrottled = counterFromZero('ordermanagement.cycle.throttled', {
  description: 'Cycles that added only a probe of orders because the upstream kept failing (backpressure)',
  unit: '{cycle}',
});

export const stockDrift = counterFromZero(
  'ordermanagement.stock.drift',
  {
    description:
      'Stock units a wood type moved besides this service’s decreases, seen in a decrease answer: up (deliveries) or down (taken elsewhere, or a decrease landed unrecorded)',
    unit: '{unit}',
  },
  WOOD_TYPES.flatMap((woodType) =>
    each('direction', ['up', 'down']).map((series) => ({ wood_type: woodType, ...series })),
  ),
);

export const stockTakenTwice = counterFromZero(
  'ordermanagement.stock.taken_twice',
  {
    description:
      'Decreases judged not taken by the level that landed after all, by wood type: stock taken twice for their orders (a person must correct it)',
    unit: '{decrease}',
  },
  each('wood_type', WOOD_TYPES),
);

export const ledgerLost = meter.createObservableGauge('ordermanagement.ledger.lost', {
  description: '1 while Redis has lost the decrease ledger and no stock is taken until a person accepts it',
});

export const decreasesInDoubt = counterFromZero(
  'ordermanagement.decrease.in_doubt',
  {
    description:
      'Stock decreases whose answer was lost, by how they were settled (taken, not-taken, resent, person: waiting for a person)',
    unit: '{decrease}',
  },
  each('result', ['taken', 'not-taken', 'resent', 'person']),
);

const STATES = ['waiting', 'active', 'delayed', 'failed', 'waiting-children', 'prioritized'] as const;

/** How long a scrape waits for fresh queue depths before it answers with the last known ones. */
const DEPTH_WAIT_MS = 500;

/**
 * Queue depth by state, read from Redis when metrics are collected (a scrape or an OTLP export),
 * not on a timer of its own. A scrape never waits on Redis for long: while Redis is slow or down it
 * answers with the last depths read (or without them), so every other series is still collected.
 * Returns a function that stops observing.
 */
export function observeQueueDepth(queues: readonly Queue[]): () => void {
  const depth = meter.createObservableGauge('ordermanagement.queue.depth', {
    description: 'Jobs per queue and state',
    unit: '{job}',
  });
  const known = new Map<string, Partial<Record<string, number>>>();
  let reading: Promise<unknown> | undefined;
  const read = () =>
    Promise.all(
      queues.map(async (queue) => {
        known.set(queue.name, await queue.getJobCounts(...STATES));
      }),
    ).finally(() => {
      reading = undefined;
    });
  const callback = async (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    reading ??= read().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise((resolve) => (timer = setTimeout(resolve, DEPTH_WAIT_MS)))]);
    clearTimeout(timer);
    for (const [queue, counts] of known) {
      for (const state of STATES) result.observe(counts[state] ?? 0, { queue, state });
    }
  };
  depth.addCallback(callback);
  return () => depth.removeCallback(callback);
}

export const permitWait = meter.createHistogram('ordermanagement.upstream.permit_wait_seconds', {
  description: 'How long a request to an upstream waited for a permit of its concurrency limit',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.001, ...SECONDS] },
});

/**
 * Every answer's time, traced or not: the undici instrumentation's http.client.request.duration covers
 * only requests inside a recording span, so with traces sampled or exported nowhere it says little.
 */
export const requestDuration = meter.createHistogram('ordermanagement.upstream.request_duration_seconds', {
  description:
    'How long a request to an upstream took, from sending it to the last byte of its answer (outcome answered, whatever its status), its timeout or its failure',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.001, 0.0025, ...SECONDS] },
});

const limitGauge = meter.createObservableGauge('ordermanagement.upstream.concurrency_limit', {
  description: 'Requests to an upstream this process lets be in flight at once, as adapted to its answers',
  unit: '{request}',
});
const inFlightGauge = meter.createObservableGauge('ordermanagement.upstream.in_flight', {
  description: 'Requests to an upstream in flight now',
  unit: '{request}',
});
const queuedGauge = meter.createObservableGauge('ordermanagement.upstream.queued', {
  description: 'Requests waiting for a permit to an upstream',
  unit: '{request}',
});

/** Reports an upstream's concurrency limit, in-flight and waiting requests; returns a function that stops. */
export function observeLimiter(
  upstream: string,
  limiter: { readonly limit: number; readonly inFlight: number; readonly queued: number },
): () => void {
  const callback = (result: BatchObservableResult) => {
    result.observe(limitGauge, limiter.limit, { upstream });
    result.observe(inFlightGauge, limiter.inFlight, { upstream });
    result.observe(queuedGauge, limiter.queued, { upstream });
  };
  const gauges = [limitGauge, inFlightGauge, queuedGauge];
  meter.addBatchObservableCallback(callback, gauges);
  return () => meter.removeBatchObservableCallback(callback, gauges);
}

export const cyclesEmpty = counterFromZero('ordermanagement.cycle.empty', {
  description:
    'Cycles that added no order (nothing registered, or every order already had a job); removed from the completed list by the next cycle',
  unit: '{cycle}',
});
