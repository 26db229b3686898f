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
