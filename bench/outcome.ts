import type { NeighbourWatch } from './neighbours.ts';

/**
 * A measured run, or the error that ended it: one bad run is reported and the others still count.
 * `disturbedBy` names heavy programs (a test suite...) that ran at the same time, if any.
 */
export type Outcome<T> = ({ ok: true; value: T } | { ok: false; error: string }) & { disturbedBy?: string[] };

export async function attempt<T>(
  neighbours: NeighbourWatch,
  what: string,
  body: () => Promise<T>,
): Promise<Outcome<T>> {
  const started = performance.now();
  const disturbance = () => {
    const seen = neighbours.seenSince(started);
    return seen.length > 0 ? { disturbedBy: seen } : {};
  };
  try {
    const value = await body();
    return { ok: true, value, ...disturbance() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nbench: ${what} failed: ${message}\n`);
    return { ok: false, error: message, ...disturbance() };
  }
}

export function values<T>(outcomes: readonly Outcome<T>[]): T[] {
  return outcomes.flatMap((o) => (o.ok ? [o.value] : []));
}

export function disturbed(outcomes: readonly Outcome<unknown>[]): number {
  return outcomes.filter((o) => o.disturbedBy !== undefined).length;
}
