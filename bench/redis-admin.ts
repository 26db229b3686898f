import type { Redis } from 'ioredis';

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
