import { readdirSync, readFileSync } from 'node:fs';

/** Programs that would take CPU from the bench on a shared machine: test runs, type checks, browsers. */
const HEAVY = /vitest|tsgo|\btsc\b|biome|playwright|chrom/;

export interface NeighbourReport {
  readonly checks: number;
  readonly busyChecks: number;
  /** One example command line per kind of program seen. */
  readonly programs: string[];
}

export interface NeighbourWatch {
  /** Kinds of heavy program seen since `from` (a performance.now() time), checking once more now. */
  seenSince(from: number): string[];
  stop(): NeighbourReport;
}

function heavyProcesses(): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const kind = HEAVY.exec(command)?.[0];
      if (kind !== undefined && !found.has(kind)) found.set(kind, command.slice(0, 120));
    } catch {
      // Gone between listing and reading.
    }
  }
  return found;
}

/**
 * Watches for other heavy programs while the bench runs: on a 2-core machine shared with others,
 * a test suite running alongside skews every figure, so each measurement says whether it overlapped one.
 */
export function watchNeighbours(intervalMs = 2000): NeighbourWatch {
  const log: { at: number; kinds: string[] }[] = [];
  const examples = new Map<string, string>();
  const check = () => {
    const found = heavyProcesses();
    for (const [kind, command] of found) if (!examples.has(kind)) examples.set(kind, command);
    log.push({ at: performance.now(), kinds: [...found.keys()] });
  };
  check();
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return {
    seenSince(from) {
      check();
      return [...new Set(log.filter((c) => c.at >= from).flatMap((c) => c.kinds))];
    },
    stop() {
      clearInterval(timer);
      return {
        checks: log.length,
        busyChecks: log.filter((c) => c.kinds.length > 0).length,
        programs: [...examples.values()],
      };
    },
  };
}
