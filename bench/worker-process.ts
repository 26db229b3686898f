import { mkdirSync, readFileSync } from 'node:fs';
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

const DOCKERFILE = new URL('../Dockerfile', import.meta.url);

/**
 * The Node options the image runs every role with: its `ENV NODE_OPTIONS`, then the flags its
 * `ENTRYPOINT` gives `node` itself (V8 flags that Node refuses in NODE_OPTIONS). The bench starts its ordermanagement workers with them, so it
 * measures what ships. The bare ceiling keeps Node's defaults.
 */
export function shippedNodeOptions(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const env = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile);
  if (!env) throw new Error('Dockerfile: no NODE_OPTIONS="…" in its ENV; the bench would not run what ships');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('Dockerfile: no ENTRYPOINT [...]; the bench would not run what ships');
  const [program, ...args] = JSON.parse(entrypoint[1] ?? '[]') as string[];
  if (program !== 'node') throw new Error(`Dockerfile: the ENTRYPOINT runs "${program}", not node`);
  const flags: string[] = [];
  for (let i = 0; i < args.length && args[i]?.startsWith('--'); i++) flags.push(args[i] ?? '');
  return [...(env[1] ?? '').split(/\s+/).filter((option) => option !== ''), ...flags];
}
