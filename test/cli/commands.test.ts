import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { COMMANDS } from '../../cli/commands/index.ts';
import { freePort } from '../../cli/redis-server.ts';
import { createLogger } from '../../src/logger.ts';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { orderJobId } from '../../src/queue/jobs.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { isRunning, type LongRunning, runCli, spawnCli } from '../helpers/cli.ts';
import {
  attribute,
  childEnv,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const env = { PATH: process.env.PATH };
const CLI_SOURCE = fileURLToPath(new URL('../../cli/ordermanagement.ts', import.meta.url));

describe('the ordermanagement CLI', () => {
  it('refuses bad configuration at start, naming each variable and never echoing a password', async () => {
    const result = await runCli(['worker'], {
      ...env,
      INTERVAL_SECONDS: 'soon',
      ERROR_RATE: '1.5',
      REDIS_URL: 'http://admin:hunter2@redis:6379',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('INTERVAL_SECONDS: must be a number (got "soon")');
    expect(result.stderr).toContain('ERROR_RATE: must be between 0 and 1 (got "1.5")');
    expect(result.stderr).toContain('REDIS_URL: must start with redis:// or rediss://');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('lists every variable with its default and meaning', async () => {
    const result = await runCli(['config', '--json'], env);
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as { variable: string; default: string; doc: string }[];
    const names = entries.map((e) => e.variable);
    for (const name of [
      'REDIS_URL',
      'API_URL_ORDERS',
      'API_URL_STOCKS',
      'INTERVAL_SECONDS',
      'ERROR_RATE',
      'LOG_LEVEL',
    ]) {
      expect(names).toContain(name);
    }
    expect(entries.find((e) => e.variable === 'INTERVAL_SECONDS')?.default).toBe('5');
    expect(entries.every((e) => e.doc.length > 10)).toBe(true);
  });

  it('prints the defaults as a Markdown table, and refuses two formats at once as a usage error', async () => {
    const markdown = await runCli(['config', '--markdown'], env);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(
      /^\| Variable \| Default \| Meaning \|\n\| --- \| --- \| --- \|\n\| `REDIS_URL` \|/,
    );
    // The flags are wrong before the environment is: 64, even with a bad variable set.
    const both = await runCli(['config', '--json', '--markdown'], { ...env, REDIS_URL: 'not a url' });
    expect(both.code).toBe(64);
    expect(both.stderr).toContain('--json and --markdown: choose one');
  });

  it.each(['board', 'demo'])('%s will not open the board beyond loopback without credentials', async (role) => {
    const result = await runCli([role], { ...env, BOARD_HOST: '0.0.0.0', DEMO_ORDERS: '5' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('BOARD_HOST is 0.0.0.0, beyond loopback: set BOARD_USER and BOARD_PASSWORD');
  });

  it('answers an unknown command with the usage and exit code 64', async () => {
    const result = await runCli(['frobnicate'], env);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('ordermanagement: unknown command "frobnicate"\n');
    expect(result.stderr).toContain('replay <orderId...>');
  });

  it.each([
    ['strat', 'start'],
    ['wroker', 'worker'],
    ['replya', 'replay'],
  ])('names the command meant by a near miss (%s: %s), with exit 64, and runs nothing', async (typed, meant) => {
    const result = await runCli([typed], env);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(`ordermanagement: unknown command "${typed}"; did you mean ${meant}?\n`);
  });

  it('answers --version with the version in package.json, touching nothing else', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    // A bad variable would stop any command that reads the configuration: --version does not.
    const result = await runCli(['--version'], { ...env, INTERVAL_SECONDS: 'soon' });
    expect(result).toMatchObject({ code: 0, stdout: `ordermanagement ${version}\n`, stderr: '' });
  });
});

describe('ordermanagement replay', () => {
  let h: SimHarness;
  let p: RunningPipeline;

  async function setup(faults: Parameters<typeof startSim>[1] = { errorRate: 0 }, start = true) {
    h = await startSim({ orders: 5, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } }, faults);
    onTestFinished(() => h.sim.close());
    p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1' }));
    onTestFinished(() => p.close());
    if (!start) await p.workers.processOrder.pause();
  }

  it('enqueues a registered order and processes it', async () => {
    await setup();
    const result = await runCli(['replay', '3'], childEnv(p.config));
    expect(result).toMatchObject({ code: 0, stdout: 'order 3: enqueued job order-3\nreplay: 1 order: 1 enqueued\n' });
    await waitFor('order 3 to ship', () => h.store.orders.get(3)?.order_status === 'shipped');
    expect(h.store.countByStatus().registered).toBe(4);
  });

  it('reports unknown and non-numeric ids as errors and still handles the good ones', async () => {
    await setup();
    const result = await runCli(['replay', '999', 'abc', '--', '-4', '2'], childEnv(p.config));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('order 999: order 999 does not exist in the Order API');
    expect(result.stderr).toContain('"abc": order id must be a positive integer');
    expect(result.stderr).toContain('"-4": order id must be a positive integer');
    expect(result.stdout).toBe('order 2: enqueued job order-2\nreplay: 4 orders: 1 unknown, 2 invalid, 1 enqueued\n');
  });

  it('handles every id and keeps its exit code when nobody reads its output (replay … 2>&1 | head -1)', async () => {
    await setup();
    const { child, exited } = spawnCli(['replay', '1', 'abc', '2', '3'], childEnv(p.config));
    // Both readers gone before the command writes a line.
    child.stdout?.destroy();
    child.stderr?.destroy();
    expect(await exited).toBe(1);
    const jobs = await Promise.all([1, 2, 3].map((id) => p.queues.orders.getJob(orderJobId(id))));
    expect(jobs.map((job) => job?.id)).toEqual(['order-1', 'order-2', 'order-3']);
  });

  it('reports an order whose job is in flight instead of doubling it, and exits 1: nothing was replayed', async () => {
    await setup({ errorRate: 0 }, false);
    await enqueueOrders(p.queues, [4]);
    const result = await runCli(['replay', '4'], childEnv(p.config));
    expect(result).toMatchObject({
      code: 1,
      stderr: 'order 4: job order-4 is already waiting; nothing added\n',
      stdout: 'replay: 1 order: 1 in-flight\n',
    });
    expect(await p.queues.orders.count()).toBe(1);
  });

  it('retries a failed job: the ledger holds its decision, so the status is set and the stock not taken again', async () => {
    // Every status update is refused (a misconfigured proxy): the job fails after the stock was taken.
    await setup({ errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403, honourIdempotencyKey: false });
    await enqueueOrders(p.queues, [1]);
    // The state first, then the job: a job read before it failed has no failedReason, whatever its state says later.
    const failed = await waitFor('the job to fail', async () =>
      (await p.queues.orders.getJobState(orderJobId(1))) === 'failed'
        ? p.queues.orders.getJob(orderJobId(1))
        : undefined,
    );
    expect(failed.failedReason).toContain('answered 403');
    expect(await p.ledger.order(1)).toMatchObject({ state: 'taken', outcome: 'shipped' });
    expect(h.store.orders.get(1)?.order_status).toBe('registered');

    h.options.statusUpdateErrorRate = 0;
    const result = await runCli(['replay', '1'], childEnv(p.config));
    expect(result).toMatchObject({
      code: 0,
      stdout: 'order 1: retried failed job order-1\nreplay: 1 order: 1 retried\n',
    });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect((await attribute(h, p.ledger)).perOrder.get(1)).toBe(1);
    expect(h.store.decreaseLog).toHaveLength(1);
  });

  it("refuses a person's answer for an order whose decrease is not in doubt", async () => {
    await setup();
    const result = await runCli(['replay', '--decreased', '2'], childEnv(p.config));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'order 2 has no stock decrease waiting for a person; replay it without --decreased',
    );
    expect(await p.queues.orders.count()).toBe(0);
  });

  it('says an order that is no longer registered has nothing to do', async () => {
    await setup();
    await enqueueOrders(p.queues, [5]);
    await waitFor('order 5 to ship and its job to complete', async () => {
      const job = await p.queues.orders.getJob(orderJobId(5));
      return h.store.orders.get(5)?.order_status === 'shipped' && job?.finishedOn !== undefined;
    });
    const result = await runCli(['replay', '5'], childEnv(p.config));
    expect(result).toMatchObject({
      code: 0,
      stdout: 'order 5: status is shipped, not registered; nothing to do\nreplay: 1 order: 1 not-registered\n',
    });
  });
});

describe('every command', () => {
  it('answers --help with its usage, options and variables, and does nothing else', async () => {
    const h = await startSim({ orders: 0, stock: {} });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim);
    const queues = createQueues(config, 'fail-fast', createLogger('error'));
    onTestFinished(() => queues.close());
    for (const name of Object.keys(COMMANDS)) {
      const result = await runCli([name, '--help'], childEnv(config));
      expect(result, name).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: ordermanagement ${name}\\b`));
      expect(result.stdout).toContain('-h, --help');
      if (name !== 'config') expect(result.stdout).toMatch(/^Variables .*\n {2}[A-Z_]+ /m);
    }
    // scheduler and start --help registered nothing.
    expect(await queues.cycles.getJobSchedulers()).toEqual([]);
    expect((await runCli(['help', 'replay'], env)).stdout).toContain('--not-decreased');
  });

  it.each(Object.keys(COMMANDS))('%s refuses a flag it does not know, with exit 64', async (name) => {
    const result = await runCli([name, '--bogus'], env);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(`ordermanagement: ${name}: Unknown option '--bogus'`);
    expect(result.stderr).toContain(`Usage: ordermanagement ${name}`);
  });
});

describe('when Redis cannot be reached', () => {
  it.each([['replay', '1'], ['scheduler']])(
    '%s fails within seconds, naming REDIS_URL, without a stack',
    async (...args) => {
      const port = await freePort();
      const started = Date.now();
      const result = await runCli(args, { ...env, REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `ordermanagement: cannot reach Redis at redis://:***@127.0.0.1:${port} (REDIS_URL): ECONNREFUSED\n`,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
    },
  );
});

describe('a port already in use', () => {
  it.each([
    ['board', 'BOARD_PORT'],
    ['demo', 'BOARD_PORT'],
    ['sim', 'SIM_ORDER_PORT'],
    ['worker', 'HEALTH_PORT'],
    ['worker', 'METRICS_PORT'],
    ['start', 'METRICS_PORT'],
  ])('stops %s at start, naming %s', async (role, variable) => {
    const h = await startSim({ orders: 3, stock: {} });
    onTestFinished(() => h.sim.close());
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    const config = testConfig(h.sim);
    const queues = createQueues(config, 'fail-fast', createLogger('error'));
    onTestFinished(async () => {
      await queues.orders.obliterate({ force: true });
      await queues.close();
    });
    await enqueueOrders(queues, [1, 2, 3]);
    const result = await runCli([role], { ...childEnv(config), [variable]: String(port) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ordermanagement: cannot listen on 127.0.0.1:${port} (${variable}): port ${port} on 127.0.0.1 is already in use\n`,
    );
    // The worker stopped before it took any job.
    expect(await queues.orders.getWaitingCount()).toBe(3);
  });
});

describe('replay of many orders against a flaky Order API', () => {
  it('retries transient failures, goes on with the others, and ends with a summary', async () => {
    const h = await startSim({ orders: 10, stock: {} }, { errorRate: 0.5 });
    onTestFinished(() => h.sim.close());
    const config = testConfig(h.sim, { RETRY_ATTEMPTS: '20', RETRY_BACKOFF_MS: '1', RETRY_BACKOFF_MAX_MS: '5' });
    const queues = createQueues(config, 'fail-fast', createLogger('error'));
    onTestFinished(async () => {
      await queues.orders.obliterate({ force: true });
      await queues.close();
    });
    const ids = [...h.store.orders.keys()].map(String);
    const result = await runCli(['replay', ...ids, '0'], childEnv(config));
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter((line) => /^order \d+: enqueued job/.test(line))).toHaveLength(10);
    expect(result.stderr).toBe('"0": order id must be a positive integer, got "0"\n');
    expect(result.stdout).toMatch(/replay: 11 orders: (10 enqueued, 1 invalid|1 invalid, 10 enqueued)\n$/);
    expect(await queues.orders.getWaitingCount()).toBe(10);
  });
});

describe('signals', () => {
  it.each([
    ['as a plain process', [] as string[]],
    // unshare makes node PID 1 of a new PID namespace, as in a container without an init.
    ['as PID 1', ['unshare', '--fork', '--pid', '--mount-proc']],
  ])('a SIGTERM during start-up (Redis unreachable) stops a worker at once, %s', async (_how, wrapper) => {
    const port = await freePort();
    const args = [...wrapper.slice(1), process.execPath, CLI_SOURCE, 'worker'];
    const child = spawn(wrapper[0] ?? process.execPath, wrapper.length > 0 ? args : [CLI_SOURCE, 'worker'], {
      env: { ...env, REDIS_URL: `redis://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    // Started, and waiting for a Redis that refuses: the handler a role installs once running is not there yet.
    await waitFor('the worker to try Redis', () => output.includes('ECONNREFUSED'), { timeoutMs: 15_000 });
    const pid = wrapper.length > 0 ? await namespaceInit(child.pid ?? 0) : (child.pid ?? 0);
    const signalled = Date.now();
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(3000);
  });
});

/** The host pid of the first process `pid` started: node, as PID 1 of the namespace unshare made. */
async function namespaceInit(pid: number): Promise<number> {
  return waitFor('unshare to start node', () => {
    const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ');
    return child ? Number(child) : undefined;
  });
}

describe('a closed output', () => {
  it('ends a command quietly with 0 (ordermanagement config | head -1), no EPIPE stack', async () => {
    const { child, exited, output } = spawnCli(['config'], env);
    // The reader is gone before the command writes, as `head -1` is once it has its line.
    child.stdout?.destroy();
    expect(await exited).toBe(0);
    // What is left is stderr's, and it is empty: no EPIPE stack.
    expect(output()).toBe('');
  });
});

describe('a closed output and then Ctrl-C', () => {
  it('still stops gracefully with 0: the failed writes of the stop itself are not a second signal', async () => {
    const port = await freePort();
    const { child, exited } = spawnCli(['sim'], {
      ...env,
      SIM_ORDER_PORT: String(port),
      SIM_STOCK_PORT: '0',
      LOG_LEVEL: 'info',
    });
    await waitFor('the simulator to answer', async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      return answer?.ok;
    });
    child.stdout?.destroy();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

/** The demo, stopped with Ctrl-C when the test ends: a SIGKILL would leave its private redis-server behind. */
function demo(demoEnv: NodeJS.ProcessEnv): LongRunning {
  const proc = spawnCli(['demo'], demoEnv);
  onTestFinished(async () => {
    if (!isRunning(proc)) return;
    proc.child.kill('SIGINT');
    await proc.exited;
  });
  return proc;
}

describe('ordermanagement demo', () => {
  it('serves the board on loopback without a password, prints its address, and its replays reach the simulator', async () => {
    const { output } = demo({ ...env, DEMO_ORDERS: '20', BOARD_PORT: '0', SIM_ERROR_RATE: '0', ERROR_RATE: '0' });
    const board = await waitFor(
      'the demo to print the board',
      () => /Bull Board (http:\/\/127\.0\.0\.1:\d+) \(no password: loopback only\)/.exec(output())?.[1],
    );
    expect(output()).toContain(`orders waiting for a person ${board}/orders`);
    expect((await request(`${board}/`)).statusCode).toBe(200);
    await waitFor('the demo to settle every order', () => /Done in [\d.]+s: /.test(output()), { timeoutMs: 60_000 });
    expect(output()).toMatch(new RegExp(`board ${board}\n`));
    // The board asks the demo's own simulator: the order is found, done, and nothing is replayed.
    const replay = await request(`${board}/api/orders/1/replay`, { method: 'POST' });
    expect(replay.statusCode).toBe(409);
    expect(await replay.body.json()).toMatchObject({ result: 'not-registered' });
    const page = await request(`${board}/orders/1`);
    expect(await page.body.text()).toMatch(/Status <span class="om-state om-state-(shipped|blocked|closed)">/);
  });

  it('puts the board on a free port when the default one is taken, and says where', async () => {
    // Held by this test, or by someone else already: either way the demo cannot have it.
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(3000, '127.0.0.1', resolve);
    });
    onTestFinished(
      () => new Promise<void>((resolve) => (holder.listening ? holder.close(() => resolve()) : resolve())),
    );
    const { output } = demo({ ...env, DEMO_ORDERS: '5' });
    const board = await waitFor('the demo to print the board', () => /Bull Board (http:\/\/\S+) /.exec(output())?.[1]);
    expect(board).not.toBe('http://127.0.0.1:3000');
    expect((await request(`${board}/livez`)).statusCode).toBe(200);
  });

  it('stops cleanly, its private Redis included, when its output is closed (npm run demo | head)', async () => {
    const { child, exited, output } = spawnCli(['demo'], { ...env, DEMO_ORDERS: '50' });
    const port = await waitFor(
      'the demo to name its Redis',
      () => /Redis private at redis:\/\/127\.0\.0\.1:(\d+)/.exec(output())?.[1],
    );
    // What `head -1` does once it has its line: the reading end goes away.
    child.stdout?.destroy();
    expect(await exited).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.destroy();
        resolve('accepted');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
