import type { BenchChild } from './child.ts';

export interface MajorGc {
  /** Seconds since the trace started, as seen by the bench. */
  readonly t: number;
  /** Heap in use after the collection, MB: what the process really holds on to. */
  readonly liveMb: number;
}

/** The most heap a process held after any major GC while traced; NaN when none happened. */
export function maxLiveMb(gcs: readonly MajorGc[]): number {
  return gcs.length === 0 ? Number.NaN : Math.max(...gcs.map((g) => g.liveMb));
}

/** `[pid:addr]  1085 ms: Mark-Compact 45.0 (106.4) -> 35.7 (109.2) MB, ...` as V8 prints it with --trace-gc. */
const MARK_COMPACT = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

/**
 * Heap in use after each major GC of a process started with `--trace-gc`. Resident memory only says
 * how much V8 has reserved (on a machine with plenty of RAM it collects late and keeps freed pages);
 * the live heap after a full collection says whether memory grows with the work done.
 */
export function traceMajorGcs(child: BenchChild): { stop(): MajorGc[] } {
  const started = performance.now();
  const gcs: MajorGc[] = [];
  const stop = child.onLine((line) => {
    const match = MARK_COMPACT.exec(line);
    if (match) gcs.push({ t: (performance.now() - started) / 1000, liveMb: Number(match[1]) });
  });
  return {
    stop() {
      stop();
      return gcs;
    },
  };
}
