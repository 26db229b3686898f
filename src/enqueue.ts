import type { JobsOptions } from 'bullmq';
import type { Order } from './domain/order.ts';
import { orderJobId, PROCESS_ORDER_JOB, type ProcessOrderData } from './jobs.ts';
import type { Queues } from './queues.ts';

/** BullMQ answers this id instead of throwing when a job id already belongs to another parent. */
const PARENT_JOB_CANNOT_BE_REPLACED = '-7';

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
  const pipeline = redis.pipeline();
  for (const id of unique.keys()) pipeline.exists(queue.toKey(orderJobId(id)));
  const exists = (await pipeline.exec()) ?? [];
  const fresh: ProcessOrderData[] = [];
  const skipped: number[] = [];
  [...unique.values()].forEach((jobData, i) => {
    const [error, count] = exists[i] ?? [new Error('no reply'), 0];
    if (error) throw error;
    if (count === 1) skipped.push(jobData.orderId);
    else fresh.push(jobData);
  });
  if (fresh.length === 0) return { added: [], skipped };
  const jobs = await queue.addBulk(
    fresh.map((jobData) => ({
      name: PROCESS_ORDER_JOB,
      data: jobData,
      opts: { ...opts, jobId: orderJobId(jobData.orderId) },
    })),
  );
  const added: string[] = [];
  jobs.forEach((job, i) => {
    if (String(job.id) === PARENT_JOB_CANNOT_BE_REPLACED) skipped.push((fresh[i] as ProcessOrderData).orderId);
    else added.push(String(job.id));
  });
  return { added, skipped };
}
