/**
 * Calls `emit` at most once per `intervalMs` per key, passing how many calls were suppressed since
 * the last one: a Redis outage makes every connection report every reconnect attempt, and one line
 * per key and interval says as much as hundreds.
 */
export function throttle<T>(intervalMs: number, emit: (key: string, value: T, suppressed: number) => void) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, value: T): void => {
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    emit(key, value, seen?.suppressed ?? 0);
    last.set(key, { at: now, suppressed: 0 });
  };
}
