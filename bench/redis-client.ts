import { Redis } from 'ioredis';

/**
 * A plain ioredis client for the bench's own Redis: for the bare ceiling's queue and worker and for
 * INFO/FLUSHALL. Built from the URL alone so the bench does not depend on how src/ builds its clients.
 * `blocking` waits through hiccups as BullMQ workers require; `admin` fails fast.
 */
export function benchRedis(url: string, mode: 'blocking' | 'admin'): Redis {
  return new Redis(url, mode === 'blocking' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1 });
}
