import type { SimStore } from '../src/sim/store.ts';
import type { Progress } from './progress.ts';
import { waitUntil } from './wait.ts';

/** Even a broken run ends: no configuration measured here is slower than this. */
const SLOWEST_ORDERS_PER_SECOND = 20;

/**
 * Waits until no order is left `registered`, watching the simulator's store directly (it lives in
 * this process), so the end of a run is seen within a 10 ms poll and costs no HTTP request.
 */
export async function waitDrained(
  store: SimStore,
  total: number,
  progress: Progress,
  /** Throws when the run cannot finish any more (a worker died, the producer failed): the wait ends at once. */
  assertHealthy: () => void,
): Promise<void> {
  await waitUntil(
    `all ${total} orders to leave registered`,
    () => {
      const left = store.countByStatus().registered;
      progress.update((total - left) / total, `${total - left}/${total} orders`);
      return left === 0;
    },
    {
      timeoutMs: 60_000 + (total * 1000) / SLOWEST_ORDERS_PER_SECOND,
      onPoll: assertHealthy,
    },
  );
}
