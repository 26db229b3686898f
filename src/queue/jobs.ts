import {
  isOrderId,
  isQuantity,
  isWoodType,
  type OrderStatus,
  type Outcome,
  WOOD_TYPES,
  type WoodType,
} from '../domain/order.ts';
import type { PassCut } from '../domain/paging.ts';
import { InvalidPayloadError } from '../errors.ts';
import type { TraceCarrier } from '../telemetry/tracing.ts';

/** Queue and job names shared by producers (scheduler, cycle, replay) and processors. */
export const CYCLE_QUEUE = 'cycles';
export const ORDER_QUEUE = 'orders';
export const CYCLE_JOB = 'cycle';
export const PROCESS_ORDER_JOB = 'process-order';
/** One fixed id: upserting under it from any number of processes keeps exactly one schedule. */
export const CYCLE_SCHEDULER_ID = 'cycle';

/** What the cycle's fan-out saw, summed over its attempts. */
export interface FanOutCounts {
  /** Orders the Order API listed as registered (valid ones). */
  fetched: number;
  /** process-order jobs added by this cycle. */
  enqueued: number;
  /** Orders that already had a job (in flight, failed awaiting replay, or recently finished). */
  skipped: number;
  /** List elements that break the contract; reported in the logs, never processed. */
  invalid: number;
  pages: number;
  /** Set when backpressure limited this cycle to a probe of orders. */
  throttled?: true;
  /** Set when the cycle stopped listing early, and why (see workers/cycle.ts). */
  cut?: PassCut;
}

export interface CycleData {
  /** Recorded once the fan-out finished, so a resumed cycle goes straight to collecting outcomes. */
  fanOut?: FanOutCounts;
  /** The cycle's trace, recorded on its first run so retries and the outcome count join it. */
  trace?: TraceCarrier;
}

/** `vanished`: the order was gone (404) when its status was to be written, after its stock was taken. */
export type OrderResultOutcome = Outcome | 'skipped' | 'vanished';

export interface CycleResult extends FanOutCounts {
  /** How the cycle's children ended; `failed` ran out of attempts and wait in the failed set. */
  outcomes: Record<OrderResultOutcome | 'failed', number>;
}

/** The order as its cycle's listing showed it (registered), so a worker need not read it again at once. */
export interface ListedOrder {
  woodType: WoodType;
  quantity: number;
}

export interface ProcessOrderData {
  orderId: number;
  /** Trusted while the job is younger than ORDER_REREAD_AFTER_MS; absent for replays, which always read. */
  listed?: ListedOrder;
  /** The trace this job continues: its cycle's, or the replay's that added it. */
  trace?: TraceCarrier;
  /** For a replayed order, the trace of the original attempt, linked from the new one. */
  replayOf?: TraceCarrier;
}

export interface ProcessOrderResult {
  orderId: number;
  outcome: OrderResultOutcome;
  /** The order's status after this job; absent when the order no longer exists. */
  status?: OrderStatus;
  /** Set when retries ran out before any stock was taken and the order was blocked for that. */
  exhausted?: true;
  /** Something that should not happen, recorded for people: stock taken for an order that vanished. */
  anomaly?: string;
}

/** One job id per order: the key that keeps an order from being enqueued twice. */
export const orderJobId = (orderId: number): string => `order-${orderId}`;

/** Job data can be hand-made (Bull Board, redis-cli): check it before trusting it. */
export function parseProcessOrderData(value: unknown): ProcessOrderData {
  if (typeof value !== 'object' || value === null) throw new InvalidPayloadError('job data must be an object');
  const { orderId, listed, trace, replayOf } = value as Record<string, unknown>;
  if (!isOrderId(orderId)) {
    throw new InvalidPayloadError(`job data orderId must be a positive integer, got ${JSON.stringify(orderId)}`);
  }
  if (listed !== undefined && !isListedOrder(listed)) {
    throw new InvalidPayloadError(
      `job data listed must be { woodType: ${WOOD_TYPES.join('|')}, quantity: a positive integer }, got ${JSON.stringify(listed)}`,
    );
  }
  for (const [name, carrier] of [
    ['trace', trace],
    ['replayOf', replayOf],
  ] as const) {
    if (carrier !== undefined && !isCarrier(carrier)) {
      throw new InvalidPayloadError(`job data ${name} must be an object of strings (W3C trace context)`);
    }
  }
  return { ...(value as ProcessOrderData), orderId };
}

function isListedOrder(value: unknown): value is ListedOrder {
  if (typeof value !== 'object' || value === null) return false;
  const { woodType, quantity } = value as Record<string, unknown>;
  return isWoodType(woodType) && isQuantity(quantity, 1);
}

function isCarrier(value: unknown): value is TraceCarrier {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
