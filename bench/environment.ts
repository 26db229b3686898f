import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import type { Redis } from 'ioredis';

export interface Environment {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGb: number;
  /** The machine's load average (1, 5, 15 min) when the bench began: others' work on a shared machine. */
  readonly loadAverage: number[];
  readonly node: string;
  readonly redis: string;
  readonly commit: string;
  /** Uncommitted changes under src/, workers/ or cli/: the figures are for the working tree, not the commit. */
  readonly uncommitted: string[];
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** What the figures were measured on, recorded beside them: they mean little without it. */
export async function describeEnvironment(admin: Redis): Promise<Environment> {
  const info = await admin.info('server');
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    loadAverage: loadavg(),
    node: process.version,
    redis: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown',
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    uncommitted: git(['status', '--porcelain', '--', 'src', 'workers', 'cli'])
      .split('\n')
      .filter((line) => line !== ''),
  };
}
