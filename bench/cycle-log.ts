import type { Queues } from '../src/queue/queues.ts';
import { waitUntil } from './wait.ts';

export interface CycleFanOut {
  /** Seconds from the start of the run to the time the cycle was due (its scheduled time). */
  readonly dueS: number;
  readonly fetched: number;
  readonly enqueued: number;
  /** Orders that already had a job (still in flight from an earlier cycle). */
  readonly skipped: number;
}

/**
 * What each cycle of a run fanned out, in order. Paging with skip over a list that shrinks while
 * workers ship orders passes some orders by; how many cycles a run needed, and how much each one
 * took, shows what that costs end to end.
 */
export async function cycleFanOuts(queues: Pick<Queues, 'cycles'>, startedEpochMs: number): Promise<CycleFanOut[]> {
  // The last order can ship before its cycle has recorded its fan-out: let an active cycle finish first.
  await waitUntil('no active cycle', async () => (await queues.cycles.getActiveCount()) === 0, {
    timeoutMs: 5000,
    intervalMs: 20,
  }).catch(() => {});
  // A cycle whose last child just finished is back in wait (or delayed, on a retry) until it counts its children.
  const jobs = await queues.cycles.getJobs([
    'completed',
    'waiting-children',
    'wait',
    'prioritized',
    'delayed',
    'active',
    'failed',
  ]);
  // processedOn moves on when a cycle comes back to count its children, so order by when it was due.
  const due = (job: (typeof jobs)[number]) => job.timestamp + (job.delay ?? 0);
  return jobs
    .filter((job) => job.data.fanOut !== undefined)
    .sort((a, b) => due(a) - due(b))
    .map((job) => {
      const { fetched = 0, enqueued = 0, skipped = 0 } = job.data.fanOut ?? {};
      return { dueS: Math.max(0, due(job) - startedEpochMs) / 1000, fetched, enqueued, skipped };
    });
}
