import type { JobsOptions } from 'bullmq';
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
 *
 * The existence check comes first because BullMQ would otherwise adopt an existing job whose old
 * parent is gone into this parent, and a failed one adopted that way would hold the parent in
 * waiting-children forever. Only one cycle runs at a time, so the check-then-add window is narrow;
 * BullMQ's own -7 answer covers a job added under another parent inside it.
 */
export async function enqueueOrders(
  { orders: queue, redis }: Pick<Queues, 'orders' | 'redis'>,
  orderIds: readonly number[],
  opts: Pick<JobsOptions, 'parent' | 'ignoreDependencyOnFailure'> = {},
  data: Omit<ProcessOrderData, 'orderId'> = {},
): Promise<EnqueueResult> {
  const unique = [...new Set(orderIds)];
  if (unique.length === 0) return { added: [], skipped: [] };
  const pipeline = redis.pipeline();
  for (const id of unique) pipeline.exists(queue.toKey(orderJobId(id)));
  const exists = (await pipeline.exec()) ?? [];
  const fresh: number[] = [];
  const skipped: number[] = [];
  unique.forEach((id, i) => {
    const [error, count] = exists[i] ?? [new Error('no reply'), 0];
    if (error) throw error;
    (count === 1 ? skipped : fresh).push(id);
  });
  if (fresh.length === 0) return { added: [], skipped };
  const jobs = await queue.addBulk(
    fresh.map((orderId) => ({
      name: PROCESS_ORDER_JOB,
      data: { ...data, orderId },
      opts: { ...opts, jobId: orderJobId(orderId) },
    })),
  );
  const added: string[] = [];
  jobs.forEach((job, i) => {
    if (String(job.id) === PARENT_JOB_CANNOT_BE_REPLACED) skipped.push(fresh[i] as number);
    else added.push(String(job.id));
  });
  return { added, skipped };
}
