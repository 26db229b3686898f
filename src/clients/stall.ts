/**
 * Notices that this process was stalled: stopped by SIGSTOP or `docker pause`, frozen with its VM, or
 * held by a long GC. A timer beats every BEAT_MS; a beat that is late by more than STALL_MS on the
 * monotonic clock or the wall clock means the process did not run for that long, and anything it had
 * decided before may be stale (a lock lease that lapsed meanwhile, say).
 */

const BEAT_MS = 100;
/** A stall longer than this drops the critical sends that were pending through it. */
export const STALL_MS = 1000;

let lastMonotonic = 0;
let lastWall = 0;
/** When the last stall ended (performance.now()), as the beat after it saw. */
let lastStallEnded = Number.NEGATIVE_INFINITY;
let timer: NodeJS.Timeout | undefined;

const gap = () => Math.max(performance.now() - lastMonotonic, Date.now() - lastWall) - BEAT_MS;

function beat(): void {
  if (timer !== undefined && gap() > STALL_MS) lastStallEnded = performance.now();
  lastMonotonic = performance.now();
  lastWall = Date.now();
}

/** Starts the heartbeat (once per process; it never keeps the process alive). */
export function watchForStalls(): void {
  if (timer !== undefined) return;
  beat();
  timer = setInterval(beat, BEAT_MS);
  timer.unref();
}

/**
 * Whether the process stalled since `since` (performance.now()): a stall the heartbeat already saw
 * end, or one that is ending now (this is the first code to run after it, before the next beat).
 */
export function stalledSince(since: number): boolean {
  if (timer === undefined) return false;
  return lastStallEnded >= since || gap() > STALL_MS;
}
