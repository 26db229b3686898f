import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called on every poll; throwing aborts the wait (a worker that died ends it at once). */
  readonly onPoll?: () => void;
}

/** Polls `check` until it holds; the bench waits on conditions it can see, never on fixed sleeps. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 10, onPoll }: WaitOptions,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    onPoll?.();
    if (await check()) return;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
