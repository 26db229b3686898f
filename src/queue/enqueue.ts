import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ErrorCode, type JobsOptions } from 'bullmq';
import type { Order } from '../domain/order.ts';
import { orderJobId, PROCESS_ORDER_JOB, type ProcessOrderData } from './jobs.ts';
import type { Queues } from './queues.ts';

/** Jobs per bulk-add transaction. */
const ADD_CHUNK = 250;

/**
 * Which of the keys exist, in one call: a pipeline of EXISTS is one command (and one trace span)
 * per order. The queue prefix's hash tag keeps the keys in one Cluster slot.
 */
const KEYS_EXIST = `local found = {}
for i, key in ipairs(KEYS) do found[i] = redis.call('EXISTS', key) end
return found`;

export interface EnqueueResult {
  /** Job ids added for these orders. */
  readonly added: string[];
  /** Orders that already had a job under their id: in flight, failed awaiting replay, or recently finished. */
  readonly skipped: number[];
}

/**
 * Adds one process-order job per order, keyed `order-<id>`, skipping every order that already has one.
 * An order given whole (from a listing) travels in the job, so its worker need not read it again;
 * one given by id is read by the worker.
 *
 * The existence check comes first because BullMQ would otherwise adopt an existing job whose old
 * parent is gone into this parent, and a failed one adopted that way would hold the parent in
 * waiting-children forever. Only one cycle runs at a time, so the check-then-add window is narrow;
 * BullMQ's own -7 answer covers a job added under another parent inside it.
 */
export async function enqueueOrders(
  { orders: queue, redis }: Pick<Queues, 'orders' | 'redis'>,
  orders: readonly (number | Order)[],
  opts: Pick<JobsOptions, 'parent' | 'ignoreDependencyOnFailure'> = {},
  data: Omit<ProcessOrderData, 'orderId'> = {},
): Promise<EnqueueResult> {
  const unique = new Map<number, ProcessOrderData>();
  for (const order of orders) {
    if (typeof order === 'number') unique.set(order, { ...data, orderId: order });
    else
      unique.set(order.id, {
        ...data,
        orderId: order.id,
        listed: { woodType: order.woodType, quantity: order.quantity },
      });
  }
  if (unique.size === 0) return { added: [], skipped: [] };
  const keys = [...unique.keys()].map((id) => queue.toKey(orderJobId(id)));
  const exists = (await redis.eval(KEYS_EXIST, keys.length, ...keys)) as number[];
  const fresh: ProcessOrderData[] = [];
  const skipped: number[] = [];
  [...unique.values()].forEach((jobData, i) => {
    if (exists[i] === 1) skipped.push(jobData.orderId);
    else fresh.push(jobData);
  });
  if (fresh.length === 0) return { added: [], skipped };
  const bulk: Parameters<typeof queue.addBulk>[0] = fresh.map((jobData) => ({
    name: PROCESS_ORDER_JOB,
    data: jobData,
    opts: { ...opts, jobId: orderJobId(jobData.orderId) },
  }));
  // The caller's span stands for these adds, not a span per added job. Several transactions sent
  // without waiting let this process encode the next while Redis runs the last.
  const chunks = Array.from({ length: Math.ceil(bulk.length / ADD_CHUNK) }, (_, i) =>
    bulk.slice(i * ADD_CHUNK, (i + 1) * ADD_CHUNK),
  );
  const jobs = (
    await context.with(suppressTracing(context.active()), () =>
      Promise.all(chunks.map((chunk) => queue.addBulk(chunk))),
    )
  ).flat();
  const added: string[] = [];
  jobs.forEach((job, i) => {
    // BullMQ answers this code as the job's id, rather than throwing, when the id belongs to another parent.
    if (String(job.id) === String(ErrorCode.ParentJobCannotBeReplaced))
      skipped.push((fresh[i] as ProcessOrderData).orderId);
    else added.push(String(job.id));
  });
  return { added, skipped };
}
