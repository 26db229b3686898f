import { processMemoryMb } from './proc-memory.ts';

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
