import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSettings } from './settings.ts';

export interface WorkerProcessOptions {
  readonly nodeFlags: string[];
  readonly logDir: string;
}

/**
 * How a worker process is started beyond its environment: --trace-gc (a line per collection, so the
 * bench can tell live memory from memory V8 merely reserved), BENCH_NODE_FLAGS, a CPU profile written
 * on exit into `<BENCH_CPU_PROF>/<kind>` (ordermanagement's and the bare ceiling's kept apart), and
 * BENCH_WORKER_LOGS for its full output.
 */
export function workerProcessOptions(settings: BenchSettings, kind: 'om' | 'bare'): WorkerProcessOptions {
  const nodeFlags = ['--trace-gc', ...settings.workerNodeFlags];
  if (settings.cpuProfDir !== '') {
    const dir = join(settings.cpuProfDir, kind);
    mkdirSync(dir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  return { nodeFlags, logDir: settings.workerLogDir };
}
