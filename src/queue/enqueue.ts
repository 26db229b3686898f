import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ErrorCode, type JobsOptions } from 'bullmq';
import type { Order } from '../domain/order.ts';
import { runCommand } from '../redis/commands.ts';
import { orderJobId, PROCESS_ORDER_JOB, type ProcessOrderData } from './jobs.ts';
import { type Listing, listingKeys } from './listing.ts';
import type { Queues } from './queues.ts';

/** Jobs per bulk-add transaction. */
const ADD_CHUNK = 250;

/** An order listed registered although its job had completed (its status written) before the listing. */
export interface RegisteredAgain {
  readonly orderId: number;
  readonly jobId: string;
  /** Whether this listing is the first to see it so: it is reported once. */
  readonly first: boolean;
}

export interface EnqueueResult {
  /** Job ids added for these orders. */
  readonly added: string[];
  /** Orders that already had a job under their id: in flight, failed awaiting replay, or recently finished. */
  readonly skipped: number[];
  /** Of the skipped, those registered again after their job completed: they wait for a person. */
  readonly registeredAgain: RegisteredAgain[];
}

/** What a listing says of each order's job (see recordListing.lua). */
const JOB = { none: 0, inFlight: 1, againFirst: 2, again: 3 } as const;

/**
 * Adds one process-order job per order, keyed `order-<id>`, skipping every order that already has one.
 * An order given whole (from a listing) travels in the job, so its worker need not read it again;
 * one given by id is read by the worker. With `listing` (a cycle's page), each order is noted as
 * listed then, and one whose job completed before the listing is reported as registered again.
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
  listing?: Listing,
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
  if (unique.size === 0) return { added: [], skipped: [], registeredAgain: [] };
  const ids = [...unique.keys()];
  const jobKeys = ids.map((id) => queue.toKey(orderJobId(id)));
  const states = (
    listing === undefined
      ? await runCommand(redis, 'jobsExist', jobKeys, [])
      : await runCommand(
          redis,
          'recordListing',
          [...Object.values(listingKeys(queue)), queue.toKey('completed'), ...jobKeys],
          [listing.at, listing.at - listing.keepMs, ...ids.flatMap((id) => [id, orderJobId(id)])],
        )
  ) as number[];
  const fresh: ProcessOrderData[] = [];
  const skipped: number[] = [];
  const registeredAgain: RegisteredAgain[] = [];
  [...unique.values()].forEach((jobData, i) => {
    const state = states[i] ?? JOB.inFlight;
    if (state === JOB.none) fresh.push(jobData);
    else skipped.push(jobData.orderId);
    if (state === JOB.againFirst || state === JOB.again)
      registeredAgain.push({
        orderId: jobData.orderId,
        jobId: orderJobId(jobData.orderId),
        first: state === JOB.againFirst,
      });
  });
  if (fresh.length === 0) return { added: [], skipped, registeredAgain };
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
  return { added, skipped, registeredAgain };
}
