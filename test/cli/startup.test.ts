import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';

/** A preload that names, on stderr, every module of Bull Board or its web framework the process resolves. */
function boardModuleSpy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'om-startup-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'spy.mjs');
  writeFileSync(
    file,
    `import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (/node_modules\\/(@bull-board|hono|@hono)\\//.test(resolved.url)) writeSync(2, 'board module ' + resolved.url + '\\n');
    return resolved;
  },
});
`,
  );
  return pathToFileURL(file).href;
}

/** Runs `ordermanagement <command>` under the spy until `ready` shows in its output; it is stopped when the test ends. */
async function outputUntil(command: string, ready: RegExp, env: Record<string, string>): Promise<string> {
  const { child, output } = spawnCli(
    [command],
    {
      PATH: process.env.PATH,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: `{startup-${randomUUID().slice(0, 8)}}`,
      API_URL_ORDERS: 'http://127.0.0.1:9/orders',
      API_URL_STOCKS: 'http://127.0.0.1:9/stocks',
      LOG_LEVEL: 'info',
      ...env,
    },
    ['--import', boardModuleSpy()],
  );
  await waitFor(`${command} to log ${ready}`, () => ready.test(output()) || child.exitCode !== null, {
    timeoutMs: 30_000,
  });
  expect(output()).toMatch(ready);
  return output();
}

describe('start-up', () => {
  // Bull Board and its web framework took a tenth of a worker's start-up, before any order moved.
  it('a worker loads none of the board; the board command does (so the spy sees them)', async () => {
    const worker = await outputUntil('worker', /workers started/, {});
    expect(worker).not.toContain('board module');
    const board = await outputUntil('board', /board listening/, { BOARD_PORT: '0' });
    expect(board).toMatch(/board module \S+@bull-board\/api\//);
    expect(board).toMatch(/board module \S+\/hono\//);
  });
});
