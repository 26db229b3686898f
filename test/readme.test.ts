import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseCommandLine } from '../cli/commands/command.ts';
import { COMMANDS } from '../cli/commands/index.ts';
import { freePort } from '../cli/redis-server.ts';
import { configMarkdown, describeConfig } from '../src/config/describe.ts';
import { loadConfig } from '../src/config/load.ts';
import { SCHEMA } from '../src/config/schema.ts';
import { spawnCli } from './helpers/cli.ts';
import { childEnv, startSim, testConfig } from './helpers/pipeline.ts';
import { run } from './helpers/run.ts';
import { waitFor } from './helpers/wait.ts';

const ROOT = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const readme = read('README.md');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };

/** The README's shell blocks, line by line (continuations joined, comments dropped), with the section they are in. */
function shellLines(): { section: string; line: string }[] {
  const lines: { section: string; line: string }[] = [];
  let section = '';
  for (const part of readme.split(/^(## .*)$/m)) {
    if (part.startsWith('## ')) {
      section = part.slice(3).trim();
      continue;
    }
    for (const [, block] of part.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const line of (block ?? '').replace(/\\\n\s*/g, ' ').split('\n')) {
        const command = line.replace(/\s+#.*$/, '').trim();
        if (command !== '') lines.push({ section, line: command });
      }
    }
  }
  return lines;
}

const KNOWN_VARIABLES = new Set<string>(Object.values(SCHEMA).map((spec) => spec.env));
/** What docker-compose.yml interpolates: a command line may set those for compose. */
const COMPOSE_VARIABLES = new Set(
  [...read('docker-compose.yml').matchAll(/\$\{(\w+)/g)].map(([, name]) => name as string),
);
/** Other software's variables the README sets, each with a check of its value. */
const OTHER_VARIABLES: Record<string, (value: string) => void> = {
  CONTAINERS_CONF: (value) => expect(existsSync(new URL(value.replace('$PWD/', ''), ROOT)), value).toBe(true),
  BUILDAH_FORMAT: (value) => expect(value).toBe('docker'),
  COMPOSE_FILE: (value) => {
    for (const file of value.split(':')) expect(existsSync(new URL(file, ROOT)), file).toBe(true);
  },
};

/** `A=1 B=2 rest` → the variables it sets and `rest`. */
function splitAssignments(line: string): { variables: string[]; rest: string } {
  const variables: string[] = [];
  let rest = line;
  for (let m = /^([A-Z][A-Z0-9_]*)=(\S*)\s+/.exec(rest); m; m = /^([A-Z][A-Z0-9_]*)=(\S*)\s+/.exec(rest)) {
    variables.push(m[1] as string);
    rest = rest.slice(m[0].length);
  }
  return { variables, rest };
}

/** Throws unless `ordermanagement <args>` would be accepted: a known command, flags it takes. */
function checkCommandLine(args: readonly string[]): void {
  const [name, ...rest] = args;
  const command = COMMANDS[name as keyof typeof COMMANDS];
  if (command === undefined) throw new Error(`no command "${name}"`);
  parseCommandLine(name as string, command, rest);
}

/** What each npm script of the form `… node dist/cli/ordermanagement.js <command>` runs. */
function scriptCommand(script: string): string[] | undefined {
  const m = /node dist\/cli\/ordermanagement\.js (\w+)$/.exec(pkg.scripts[script] ?? '');
  return m ? [m[1] as string] : undefined;
}

/** Checks one line of a shell block: the programs, files, scripts, commands and variables it names exist. */
function checkLine(line: string): void {
  const { variables, rest } = splitAssignments(line);
  for (const name of variables) expect(KNOWN_VARIABLES.has(name) || COMPOSE_VARIABLES.has(name), name).toBe(true);
  const words = rest.split(/\s+/);
  const [program, first, ...more] = words;
  switch (program) {
    case 'export':
      for (const assignment of words.slice(1)) {
        const [name = '', value = ''] = assignment.split('=');
        if (name in OTHER_VARIABLES) OTHER_VARIABLES[name]?.(value);
        else expect(KNOWN_VARIABLES.has(name) || COMPOSE_VARIABLES.has(name), name).toBe(true);
      }
      return;
    case 'bash':
      expect(existsSync(new URL(first as string, ROOT)), first).toBe(true);
      if (first === '.ci/run') expect(['demo', 'test', undefined]).toContain(more[0]);
      return;
    case 'podman-compose':
      expect(['up', 'down']).toContain(first);
      return;
    case 'npm': {
      if (first === 'ci') {
        expect(existsSync(new URL('package-lock.json', ROOT))).toBe(true);
        return;
      }
      if (first === 'test') {
        expect(pkg.scripts.test).toBeDefined();
        return;
      }
      expect(first).toBe('run');
      const [script, dashes, ...args] = more;
      expect(pkg.scripts[script as string], `npm script ${script}`).toBeDefined();
      const command = scriptCommand(script as string);
      if (command) checkCommandLine([...command, ...(dashes === '--' ? args : [])]);
      else expect(dashes, `${script} takes no arguments`).toBeUndefined();
      return;
    }
    case 'node':
      expect(first).toBe(Object.values(pkg.bin)[0]);
      checkCommandLine(more);
      return;
    case 'docker':
    case 'podman':
      if (first === 'build') {
        expect(existsSync(new URL('Dockerfile', ROOT))).toBe(true);
        expect(words).toContain('ordermanagement:local');
        return;
      }
      expect(first).toBe('compose');
      for (const [, service] of rest.matchAll(/--scale (\w+)=\d+/g)) {
        expect(Object.keys(parseYaml(read('docker-compose.yml')).services)).toContain(service);
      }
      return;
    case 'curl':
      // What they do is checked against a running board (below).
      expect(words.find((word) => word.startsWith('http://'))).toMatch(/^http:\/\/127\.0\.0\.1:3000\//);
      return;
    default:
      throw new Error(`the README gives a command this test cannot check: ${line}`);
  }
}

describe('README', () => {
  it('carries the configuration table that `ordermanagement config --markdown` prints', () => {
    // Compared cell by cell: the formatter pads the README's columns.
    const cells = (table: string) =>
      table
        .trim()
        .split('\n')
        .map((row) => row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/^-+$/, '---')));
    const table = /<!-- config:start -->\n([\s\S]*?)\n<!-- config:end -->/.exec(readme)?.[1] ?? '';
    expect(cells(table)).toEqual(cells(configMarkdown(describeConfig(loadConfig({})))));
  });

  it('lists exactly the commands there are, each with flags it takes', () => {
    const rows = [...readme.matchAll(/^\| `([a-z-]+)((?: [^`]*)?)` +\|/gm)];
    expect(rows.map(([, name]) => name).sort()).toEqual(Object.keys(COMMANDS).sort());
    for (const [, name, usage] of rows) {
      const options = Object.keys(COMMANDS[name as keyof typeof COMMANDS]?.options ?? {});
      for (const [, flag] of (usage ?? '').matchAll(/--([a-z-]+)/g)) expect(options, name).toContain(flag);
    }
  });

  it('gives only command lines that would be accepted, in its shell blocks and in its text', () => {
    const lines = shellLines();
    expect(lines.length).toBeGreaterThan(8);
    for (const { line } of lines) for (const part of line.split(' && ')) checkLine(part.trim());
    // In the text a placeholder (<orderId…>) stands for one value; `ordermanagement <role>` for any command.
    const inText = [...readme.matchAll(/`ordermanagement ([^`]+)`/g)].map(([, args]) =>
      (args as string).replace(/<[^>]*>/g, '1').trim(),
    );
    expect(inText.length).toBeGreaterThan(3);
    for (const args of inText) if (args !== '1') checkCommandLine(args.split(/\s+/));
  });

  it('has a quick start that runs: the demo settles every order it seeded', async () => {
    const quickStart = shellLines()
      .filter((l) => l.section === 'Quick start')
      .map((l) => l.line);
    // The one command of a fresh machine (run in a fresh container by test/deploy/fresh-machine.test.ts),
    // then the two of a machine that has Node 24 and redis-server.
    expect(quickStart.slice(0, 2)).toEqual(['bash .ci/run demo', 'npm ci']);
    const demo = quickStart.find((line) => line.includes('npm run demo'));
    expect(demo).toBeDefined();
    // The checkout is installed already: every line after `npm ci` runs as written.
    const child = spawn('bash', ['-c', demo as string], {
      cwd: new URL('.', ROOT),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
      await exited;
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const done = await waitFor(
      'the demo to report every order settled',
      () => /Done in [\d.]+s: [^\n]*/.exec(output) ?? undefined,
      { timeoutMs: 120_000 },
    );
    const seeded = Number(/DEMO_ORDERS=(\d+)/.exec(demo as string)?.[1]);
    expect(seeded).toBeGreaterThan(0);
    const [shipped, blocked, closed] = [/(\d+) shipped/, /(\d+) blocked/, /(\d+) closed/].map((re) =>
      Number(re.exec(done[0])?.[1]),
    );
    const waiting = Number(/(\d+) waiting for a person/.exec(done[0])?.[1] ?? 0);
    expect((shipped ?? 0) + (blocked ?? 0) + (closed ?? 0) + waiting).toBe(seeded);
    expect(shipped).toBeGreaterThan(0);
    // Ctrl-C, as the README says, stops it cleanly (npm and bash then end on the signal themselves).
    if (child.pid) process.kill(-child.pid, 'SIGINT');
    await exited;
    expect(output).toContain('"message":"shut down cleanly"');
  }, 180_000);

  it('gives the test command, and the one command that sets a machine up for it', () => {
    expect(
      shellLines()
        .filter((l) => l.section === 'Tests')
        .map((l) => l.line),
    ).toEqual(['npm test', 'bash .ci/run']);
  });

  it('gives curl lines that a running board answers as the README says', async () => {
    const h = await startSim({ orders: 42, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const port = await freePort();
    const config = testConfig(h.sim);
    const env = {
      ...childEnv(config),
      LOG_LEVEL: 'info',
      BOARD_PORT: String(port),
      BOARD_USER: 'admin',
      BOARD_PASSWORD: 'choose-one',
    };
    const board = spawnCli(['board'], env);
    await waitFor('the board to listen', () => board.output().includes('board listening'));
    const curl = async (line: string) => {
      const result = await run('bash', ['-c', line.replace('http://127.0.0.1:3000/', `http://127.0.0.1:${port}/`)], {
        env: { PATH: process.env.PATH, BOARD_PASSWORD: 'choose-one' },
      });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    const lines = shellLines()
      .map((l) => l.line)
      .filter((line) => line.startsWith('curl '));
    const replay = lines.find((line) => line.endsWith('/replay'));
    const jobs = lines.find((line) => line.endsWith('/jobs'));
    // "202 with the job id and its Board link"; then the job is among the order's jobs.
    const replayed = await curl(replay as string);
    expect(replayed).toMatchObject({ jobId: expect.any(String) });
    const listed = await curl(jobs as string);
    expect(JSON.stringify(listed)).toContain(replayed.jobId);
  });
});
