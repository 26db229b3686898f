import { vi } from 'vitest';

/**
 * `vi.waitFor` for a condition rather than an assertion: polls `check` until it returns a value
 * other than false/undefined, and names what was awaited when the deadline passes. Tests wait on
 * conditions, never on fixed sleeps.
 */
export function waitFor<T>(
  what: string,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (value === false || value === undefined)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
