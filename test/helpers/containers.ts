import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactPath } from './artifacts.ts';
import { type RunOptions, type RunResult, run as runProgram } from './run.ts';

export type { RunResult } from './run.ts';

/** The repository: the Dockerfile, docker-compose.yml and deploy/podman/ are used as they are. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Podman reads its settings from the repository (runc, cgroupfs, …): nothing outside it is edited. */
export const PODMAN_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? `${ROOT}deploy/podman/containers.conf`,
};

/** Runs a program from the checkout with podman's environment, killed after a minute unless said. */
export function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runProgram(program, args, { cwd: ROOT, env: PODMAN_ENV, timeoutMs: 60_000, ...options });
}

/** Like run, but a non-zero exit is an error that shows the command and the end of its output. */
export async function mustRun(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(program, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${program} ${args.join(' ')} exited ${result.code}:\n${tail}`);
  }
  return result;
}

export const podman = (args: readonly string[], options: RunOptions = {}) => mustRun('podman', args, options);

/** Why this machine cannot run the container test, or undefined: a missing program is named with its package. */
export async function missingPrerequisite(): Promise<string | undefined> {
  for (const [program, args] of [
    ['podman', ['--version']],
    ['podman-compose', ['version']],
  ] as const) {
    const result = await run(program, args).catch((error: Error) => error);
    if (result instanceof Error) {
      return `${program} is not installed: apt-get install -y podman runc podman-compose debootstrap (${result.message})`;
    }
  }
  const info = await run('podman', ['info']);
  if (info.code !== 0)
    return `podman does not run with CONTAINERS_CONF=${PODMAN_ENV.CONTAINERS_CONF}: ${info.stderr.trim()}`;
  return undefined;
}

/** A TCP port free on loopback now, for a container's published port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The README's podman commands: the block that brings the stack up, and the one that stops and resumes it. */
export function readmePodmanCommands(): { up: string[]; later: string[] } {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const after = readme.slice(readme.indexOf('**Podman**'));
  const [up = [], later = []] = [...after.matchAll(/```sh\n([\s\S]*?)```/g)]
    .slice(0, 2)
    .map(([, block]) => (block ?? '').split('\n').filter((line) => line.trim() !== ''));
  return { up, later };
}

/**
 * A copy of the checkout as it is now (tracked files and new ones, not what git ignores) in a folder
 * of its own: podman-compose names the project after the folder, so the copy is a project of its own.
 */
export function copyCheckout(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'omtest-')), `om${process.pid}${randomBytes(3).toString('hex')}`);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(ROOT, file)));
  for (const file of files) cpSync(join(ROOT, file), join(dir, file), { recursive: true });
  return dir;
}

/**
 * A compose project as the README's commands make it: podman-compose in a checkout (`dir`), with
 * the environment those commands export (COMPOSE_FILE, CONTAINERS_CONF, BUILDAH_FORMAT).
 */
export class ComposeProject {
  readonly dir: string;
  readonly name: string;
  /** The environment compose runs with: the README's exports, and what the test sets (ports, …). */
  readonly env: NodeJS.ProcessEnv;
  /** The README's `export` lines, run before each of its later commands, as in one shell session. */
  readonly exports: readonly string[];

  constructor(dir: string, env: NodeJS.ProcessEnv, exports: readonly string[]) {
    this.dir = dir;
    // podman-compose 1.0.3: the folder's name, lower case, without characters outside [-_a-z0-9].
    this.name = basename(dir)
      .toLowerCase()
      .replace(/[^-_a-z0-9]/g, '');
    this.exports = exports;
    this.env = env;
  }

  /** Runs README command lines in the checkout, after its exports; fails with the output's end. */
  shell(lines: readonly string[], env: NodeJS.ProcessEnv = this.env, timeoutMs = 180_000): Promise<RunResult> {
    const script = ['set -euo pipefail', ...this.exports, ...lines].join('\n');
    return mustRun('bash', ['-c', script], { cwd: this.dir, env, timeoutMs });
  }

  compose(args: readonly string[], timeoutMs = 180_000): Promise<RunResult> {
    return this.shell([['podman-compose', ...args].join(' ')], this.env, timeoutMs);
  }

  /** podman-compose 1.0.3 names containers <project>_<service>_<n>. */
  container(service: string, n = 1): string {
    return `${this.name}_${service}_${n}`;
  }

  /** Every container of the project with its state and exit code. */
  async containers(): Promise<{ name: string; state: string; exitCode: number }[]> {
    const { stdout } = await podman([
      'ps',
      '-a',
      '--filter',
      `label=io.podman.compose.project=${this.name}`,
      '--format',
      'json',
    ]);
    const rows = JSON.parse(stdout || '[]') as { Names: string[]; State: string; ExitCode: number }[];
    return rows.map((row) => ({ name: row.Names[0] ?? '', state: row.State, exitCode: row.ExitCode }));
  }

  async exitCode(container: string): Promise<number> {
    const { stdout } = await podman(['inspect', container, '--format', '{{.State.ExitCode}}']);
    return Number(stdout.trim());
  }

  /** Runs an ES module script with node inside a container and parses what it prints as JSON. */
  async nodeIn<T>(container: string, script: string): Promise<T> {
    const { stdout } = await podman(['exec', '-i', container, 'node', '--input-type=module', '-'], { input: script });
    return JSON.parse(stdout) as T;
  }

  /** Keeps every container's log under test-artifacts/containers/ (this run's only), for a post-mortem. */
  async saveLogs(extraContainers: readonly string[] = []): Promise<void> {
    const dir = artifactPath('containers/');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const name of [...(await this.containers()).map((c) => c.name), ...extraContainers]) {
      const logs = await run('podman', ['logs', name]);
      writeFileSync(`${dir}/${name}.log`, logs.stdout + logs.stderr);
    }
  }

  /**
   * `podman-compose down -v`, then whatever it leaves behind: 1.0.3 removes no network, and a
   * container started outside compose on the project's network would keep that network in use.
   */
  async remove(extraContainers: readonly string[] = []): Promise<void> {
    await this.compose(['down', '-v']).catch(() => undefined);
    const label = `label=io.podman.compose.project=${this.name}`;
    const leftovers = await run('podman', ['ps', '-aq', '--filter', label]);
    const ids = [...leftovers.stdout.split('\n').filter(Boolean), ...extraContainers];
    if (ids.length > 0) await run('podman', ['rm', '-f', '-t', '0', ...ids]);
    const volumes = await run('podman', ['volume', 'ls', '-q', '--filter', label]);
    for (const volume of volumes.stdout.split('\n').filter(Boolean))
      await run('podman', ['volume', 'rm', '-f', volume]);
    const networks = await run('podman', ['network', 'ls', '-q', '--filter', label]);
    for (const network of networks.stdout.split('\n').filter(Boolean))
      await run('podman', ['network', 'rm', '-f', network]);
    rmSync(dirname(this.dir), { recursive: true, force: true });
  }
}

/** Orders by status, shipped quantity and stock level by wood type, as the simulator's APIs tell them. */
export interface SimSnapshot {
  readonly counts: Record<string, number>;
  readonly shipped: Record<string, number>;
  readonly stock: Record<string, number>;
}

/** Reads a SimSnapshot from inside the simulator's container (its ports are not published). */
export const SIM_SNAPSHOT = `
const get = async (url) => {
  for (let attempt = 1; ; attempt++) {
    const answer = await fetch(url);
    if (answer.ok) return answer.json();
    if (attempt === 20) throw new Error(url + ' answered ' + answer.status);
  }
};
const counts = {};
const shipped = {};
for (const status of ['registered', 'ready', 'shipped', 'blocked', 'closed', 'unknown']) {
  const orders = await get('http://127.0.0.1:5000/orders/status/' + status + '?limit=1000000');
  counts[status] = orders.length;
  if (status === 'shipped') for (const o of orders) shipped[o.wood_type] = (shipped[o.wood_type] ?? 0) + o.quantity;
}
const rows = await get('http://127.0.0.1:5001/stocks/?limit=1000');
const stock = Object.fromEntries(rows.map((row) => [row.wood_type, row.quantity]));
console.log(JSON.stringify({ counts, shipped, stock }));
`;

/** Only the number of registered orders: cheap enough to poll while a batch is processed. */
export const SIM_REGISTERED = `
const answer = await fetch('http://127.0.0.1:5000/orders/status/registered?limit=1000000');
if (!answer.ok) throw new Error('listing answered ' + answer.status);
console.log(JSON.stringify((await answer.json()).length));
`;

/**
 * Creates orders through the Order API from inside the simulator's container: `count` small ones
 * spread over the wood types, and one per type larger than any stock level (they end blocked).
 */
export function createOrdersScript(count: number): string {
  return `
const types = ['oak', 'maple', 'birch', 'elm', 'pine'];
const post = async (body) => {
  for (let attempt = 1; ; attempt++) {
    const answer = await fetch('http://127.0.0.1:5000/orders/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (answer.status === 201) return;
    if (attempt === 20) throw new Error('POST /orders/ answered ' + answer.status);
  }
};
const bodies = Array.from({ length: ${count} }, (_, i) => ({ wood_type: types[i % 5], quantity: 1 + (i % 10) }));
for (const type of types) bodies.push({ wood_type: type, quantity: 1000000000 });
for (let i = 0; i < bodies.length; i += 50) await Promise.all(bodies.slice(i, i + 50).map(post));
console.log(JSON.stringify(bodies.length));
`;
}

/** "oak=100000,maple=…" (SIM_STOCK) as a record. */
export function parseStock(text: string): Record<string, number> {
  return Object.fromEntries(
    text
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const [type = '', quantity = '0'] = pair.split('=');
        return [type.trim(), Number(quantity)];
      }),
  );
}
