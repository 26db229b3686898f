import type { Config } from '../config/schema.ts';
import { CYCLE_JOB, CYCLE_SCHEDULER_ID } from './jobs.ts';
import { type CycleQueue, defaultJobOptions } from './queues.ts';

/**
 * Registers the cycle job scheduler. Upserting under one fixed id is atomic in Redis, so running
 * this again, or from several processes at once, keeps exactly one schedule, and a changed interval
 * replaces the old one.
 */
export async function upsertCycleScheduler(cycles: CycleQueue, config: Config): Promise<void> {
  await cycles.setGlobalConcurrency(1);
  await cycles.upsertJobScheduler(
    CYCLE_SCHEDULER_ID,
    { every: Math.round(config.intervalSeconds * 1000) },
    { name: CYCLE_JOB, data: {}, opts: defaultJobOptions(config) },
  );
}
