import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const TAIL_BYTES = 64 * 1024;

/** A Node process the bench started: its output kept for error messages, its stdout read as lines. */
export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  output(): string;
  /** Throws (with the output tail) if the process ended before the bench stopped it. */
  assertAlive(): void;
  /** Resolves with the first stdout line, from now on or already seen, that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Calls `listener` with every stdout line from now on; returns the function that stops it. */
  onLine(listener: (line: string) => void): () => void;
  send(line: string): void;
  /** SIGTERM (graceful: workers let active jobs finish, a CPU profile is written), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** `logDir`: also write everything the process prints to `<logDir>/<name>-<pid>.log` (BENCH_WORKER_LOGS). */
export function spawnNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, logDir = ''): BenchChild {
  const proc = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: could not be started`);
  if (logDir !== '') {
    mkdirSync(logDir, { recursive: true });
    const file = createWriteStream(join(logDir, `${name.replace(/\W+/g, '-')}-${proc.pid}.log`));
    proc.stdout.pipe(file);
    proc.stderr.pipe(file);
  }
  let tail = '';
  let partial = '';
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  let stopping = false;
  const keep = (text: string) => {
    tail = (tail + text).slice(-TAIL_BYTES);
  };
  proc.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    keep(text);
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      // Only lines the bench's own children write are worth remembering; worker logs are not.
      if (line.startsWith('{"bench"')) lines.push(line);
      for (const waiter of waiters) waiter(line);
    }
  });
  proc.stderr.on('data', (chunk: Buffer) => keep(chunk.toString()));
  proc.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const died = () =>
    new Error(`${name} (pid ${proc.pid}) exited with ${proc.exitCode ?? proc.signalCode}:\n${tail.slice(-4000)}`);

  return {
    name,
    pid: proc.pid,
    output: () => tail,
    assertAlive() {
      if (!stopping && (proc.exitCode !== null || proc.signalCode !== null)) throw died();
    },
    waitForLine(match, timeoutMs) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = (error?: Error, line?: string) => {
          clearTimeout(timer);
          waiters.delete(onLine);
          proc.off('exit', onExit);
          if (error) reject(error);
          else resolve(line as string);
        };
        const onLine = (line: string) => {
          if (match(line)) done(undefined, line);
        };
        const onExit = () => done(died());
        const timer = setTimeout(
          () => done(new Error(`${name}: no expected output after ${timeoutMs} ms:\n${tail.slice(-4000)}`)),
          timeoutMs,
        );
        waiters.add(onLine);
        proc.once('exit', onExit);
        if (proc.exitCode !== null || proc.signalCode !== null) onExit();
      });
    },
    onLine(listener) {
      waiters.add(listener);
      return () => waiters.delete(listener);
    },
    send(line) {
      proc.stdin.write(`${line}\n`);
    },
    async stop(graceMs = 5000) {
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
