import { readFileSync } from 'node:fs';

export type StatusField = 'VmRSS' | 'VmHWM';

/**
 * A memory figure of another process, in MB, from /proc/<pid>/status (Linux). VmHWM is the peak
 * resident set since the process started, so nothing between two samples is missed.
 */
export function processMemoryMb(pid: number, field: StatusField): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export interface RssSample {
  /** Seconds since sampling started. */
  readonly t: number;
  readonly mb: number;
}

/**
 * Samples another process's resident set on a timer. VmHWM gives the peak without gaps; the samples
 * give the shape (does memory plateau, or climb with the work done?).
 */
export function sampleRss(pid: number, intervalMs = 100): { stop(): RssSample[] } {
  const started = performance.now();
  const samples: RssSample[] = [];
  const take = () => {
    try {
      samples.push({ t: (performance.now() - started) / 1000, mb: processMemoryMb(pid, 'VmRSS') });
    } catch {
      // The process is gone; the caller will find out from the process itself.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
