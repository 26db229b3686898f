import { Redis } from 'ioredis';

/**
 * A plain ioredis client for the bench's own Redis: for the bare ceiling's queue and worker and for
 * INFO/FLUSHALL. Built from the URL alone so the bench does not depend on how src/ builds its clients.
 * `blocking` waits through hiccups as BullMQ workers require; `admin` fails fast.
 */
export function benchRedis(url: string, mode: 'blocking' | 'admin'): Redis {
  return new Redis(url, mode === 'blocking' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
}

/** `used_memory` from INFO memory, in MB: what Redis itself holds, without allocator overhead. */
export async function usedMemoryMb(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  const match = /^used_memory:(\d+)\r?$/m.exec(info);
  if (match === null) throw new Error('INFO memory has no used_memory');
  return Number(match[1]) / (1024 * 1024);
}

/** Empties the bench's private Redis between runs, so one run's leftovers never weigh on the next. */
export async function flushRedis(admin: Redis): Promise<void> {
  await admin.flushall();
}

/** Zeroes Redis's per-command counters, so the next read counts one run's commands only. */
export async function resetCommandStats(admin: Redis): Promise<void> {
  await admin.config('RESETSTAT');
}

/** Calls per command since the last reset (INFO commandstats; commands run inside Lua scripts included). */
export async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
  return calls;
}
