import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { type RunResult, run } from './run.ts';

const CLI = fileURLToPath(new URL('../../cli/ordermanagement.ts', import.meta.url));

/** Runs `ordermanagement <args>` (the TypeScript source, with this Node) to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { env });
}

export interface LongRunning {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** Whether the process still runs: one killed by a signal has a null exitCode too. */
export const isRunning = (proc: LongRunning): boolean => proc.child.exitCode === null && proc.child.signalCode === null;

/**
 * Starts `ordermanagement <args>` as a real process that lives on (a role, or a command whose output
 * the test closes); it is killed when the test finishes, whatever happened. `nodeArgs` go to Node
 * before the CLI (a preload, say).
 */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): LongRunning {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, output: () => output, exited };
}
