import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactPath } from '../helpers/artifacts.ts';
import {
  ComposeProject,
  copyCheckout,
  createOrdersScript,
  freePort,
  missingPrerequisite,
  parseStock,
  podman,
  readmePodmanCommands,
  run,
  SIM_REGISTERED,
  SIM_SNAPSHOT,
  type SimSnapshot,
} from '../helpers/containers.ts';
import { waitFor } from '../helpers/wait.ts';

// The README's podman commands, exactly as it gives them, in a copy of the checkout: they build
// the base images where no registry is reachable, the image (once, keeping its HEALTHCHECK) and
// start docker-compose.yml with deploy/podman/compose.override.yml (a local OTLP receiver for
// grafana/otel-lgtm) and three workers; later its `down` and `up` stop the stack and resume it. No
// test here skips: on a machine without podman or the base images' prerequisites, the first test
// fails and says what is missing. The tests run in order and share one stack; each later one fails
// at once if an earlier step did.

const README = readmePodmanCommands();
const IMAGE = 'ordermanagement:local';
const SEEDED = 500; // SIM_ORDERS: the simulator creates these at start
const BATCH = 4000; // created while the stack runs, for the stop and the kill to land mid-work
const BOARD_USER = 'admin';
/** As the README's `up` line sets it. */
const BOARD_PASSWORD = /BOARD_PASSWORD=(\S+)/.exec(README.up.join('\n'))?.[1] ?? '';
const WORKERS = Number(/WORKER_REPLICAS=(\d+)/.exec(README.up.join('\n'))?.[1]);

/** What the run measured: printed at the end and kept in test-artifacts/containers.json. */
const figures: Record<string, unknown> = {};
const seconds = (from: number) => Math.round((performance.now() - from) / 100) / 10;

let project: ComposeProject | undefined;
/** The stack's state just before the README's `down`. */
let before: { sim: SimSnapshot; ledger: number } | undefined;
let upStartedAt = 0;
let ports: { board: number; otlp: number; grafana: number } | undefined;
/** Containers started outside compose (the start-up SIGTERM checks), removed with the project. */
const strays: string[] = [];

function stack(): ComposeProject {
  if (project === undefined) throw new Error('the stack is not up: see the first failing test above');
  return project;
}

const boardUrl = (path: string) => `http://127.0.0.1:${ports?.board}${path}`;
const basicAuth = `Basic ${Buffer.from(`${BOARD_USER}:${BOARD_PASSWORD}`).toString('base64')}`;

async function snapshot(): Promise<SimSnapshot> {
  return stack().nodeIn<SimSnapshot>(stack().container('upstream'), SIM_SNAPSHOT);
}

/** Every order final (shipped, blocked, closed) and none left registered, ready or unknown. */
function allFinal(s: SimSnapshot): boolean {
  return (s.counts.registered ?? 0) + (s.counts.ready ?? 0) + (s.counts.unknown ?? 0) === 0;
}

/** Jobs that failed for good: an order parked for a person to replay is not "lost", but not done either. */
async function failedJobs(): Promise<number> {
  const { stdout } = await podman([
    'exec',
    stack().container('redis'),
    'redis-cli',
    'zcard',
    '{ordermanagement}:orders:failed',
  ]);
  return Number(stdout.trim());
}

/**
 * Runs `stop` (a compose `down`) and returns the exit code of each container that was running: `down`
 * removes them, so the codes come from podman's events.
 */
async function exitCodesOf(stop: () => Promise<unknown>): Promise<Record<string, string | undefined>> {
  const running = (await stack().containers()).filter((c) => c.state === 'running').map((c) => c.name);
  expect(running.length).toBeGreaterThan(0);
  const since = new Date(Date.now() - 1000).toISOString();
  await stop();
  const { stdout } = await podman([
    'events',
    '--stream=false',
    '--since',
    since,
    '--filter',
    'event=died',
    '--format',
    '{{.Name}} {{.ContainerExitCode}}',
  ]);
  const died = new Map(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
  return Object.fromEntries(running.map((name) => [name, died.get(name)]));
}

/** How many keys the decrease ledger holds in the stack's Redis. */
async function ledgerEntries(): Promise<number> {
  const { stdout } = await podman([
    'exec',
    stack().container('redis'),
    'redis-cli',
    '--scan',
    '--pattern',
    '{ordermanagement}:ledger*',
  ]);
  return stdout.split('\n').filter(Boolean).length;
}

/** The simulator's initial stock, as the container itself reads SIM_STOCK. */
async function initialStock(): Promise<Record<string, number>> {
  const { stdout } = await podman([
    'exec',
    stack().container('upstream'),
    'node',
    'dist/cli/ordermanagement.js',
    'config',
    '--json',
  ]);
  const entries = JSON.parse(stdout) as { variable: string; value: string }[];
  return parseStock(entries.find((entry) => entry.variable === 'SIM_STOCK')?.value ?? '');
}

/** Starts a worker from the image on the project's network with an unreachable Redis, then stops it. */
async function stopDuringStartUp(name: string, extraArgs: string[]): Promise<{ seconds: number; exitCode: number }> {
  strays.push(name);
  await podman([
    'run',
    '-d',
    '--name',
    name,
    ...extraArgs,
    '--network',
    `${stack().name}_default`,
    '-e',
    'REDIS_URL=redis://redis-that-is-not-there.invalid:6379',
    '-e',
    'HEALTH_PORT=8081',
    IMAGE,
    'worker',
  ]);
  // The app is up to connecting (and failing to) when it logs the Redis error: well into start-up.
  await waitFor(
    `${name} to try Redis`,
    async () => {
      const logs = await run('podman', ['logs', name]);
      return /redis error/.test(logs.stdout + logs.stderr) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  const stop = await podman(['stop', '-t', '10', name], { timeoutMs: 30_000 });
  return { seconds: Math.round(stop.seconds * 10) / 10, exitCode: await stack().exitCode(name) };
}

describe('the image and docker-compose.yml under podman', () => {
  afterAll(async () => {
    if (project) {
      // After a failure the stack may still run: its logs first, then whatever is left goes.
      if ((await project.containers()).length > 0) await project.saveLogs(strays).catch(() => undefined);
      await project.remove(strays);
    }
    writeFileSync(artifactPath('containers.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log('container test figures:', JSON.stringify(figures, null, 2));
  }, 120_000);

  it('has podman and podman-compose working on this machine', async () => {
    const problem = await missingPrerequisite();
    expect(problem, problem).toBeUndefined();
  });

  it("brings the stack up with the README's podman commands: one build that keeps the HEALTHCHECK, every service, the workers it asks for", async () => {
    expect(README.up.some((line) => line.includes('podman-compose up'))).toBe(true);
    expect(WORKERS).toBeGreaterThan(1);
    ports = { board: await freePort(), otlp: await freePort(), grafana: await freePort() };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BOARD_PUBLISHED_PORT: String(ports.board),
      OTLP_PUBLISHED_PORT: String(ports.otlp),
      GRAFANA_PUBLISHED_PORT: String(ports.grafana),
      SIM_ORDERS: String(SEEDED),
      // No simulated failures: every order must end final for the counts below to be exact (retries
      // that run out would park an order for replay, by design).
      ERROR_RATE: '0',
      CYCLE_ERROR_RATE: '0',
      SIM_ERROR_RATE: '0',
      INTERVAL_SECONDS: '2',
    };
    // The stack's upstream is its simulator, and podman's settings are the README's, whatever this shell has.
    for (const name of [
      'API_URL_ORDERS',
      'API_URL_STOCKS',
      'CONTAINERS_CONF',
      'COMPOSE_FILE',
      'BUILDAH_FORMAT',
      'WORKER_REPLICAS',
    ]) {
      delete env[name];
    }
    project = new ComposeProject(
      copyCheckout(),
      env,
      README.up.filter((line) => line.startsWith('export ')),
    );
    upStartedAt = performance.now();
    const up = await project.shell(README.up, env, 900_000);
    figures.readmeUpSeconds = seconds(upStartedAt);
    figures.readmeUpOutput = `${up.stdout}\n${up.stderr}`
      .split('\n')
      .filter((line) => /^(podman build|base images|build |to build|debootstrap|podman import)/.test(line));
    // podman-compose prints each podman command it runs: the image is built once, not once per role.
    expect(`${up.stdout}\n${up.stderr}`.match(/^podman build /gm)?.length ?? 0).toBe(1);

    const { stdout } = await podman(['image', 'inspect', IMAGE, '--format', 'json']);
    const [image] = JSON.parse(stdout) as {
      Size: number;
      Config: { User: string; ExposedPorts: Record<string, unknown> };
    }[];
    figures.imageSizeMB = Math.round((image?.Size ?? 0) / 1e6);
    expect(image?.Config.User).toBe('1000:1000');
    expect(Object.keys(image?.Config.ExposedPorts ?? {}).sort()).toEqual([
      '3000/tcp',
      '5000/tcp',
      '5001/tcp',
      '8081/tcp',
    ]);
    // Podman 4.3 leaves the healthcheck out of its JSON output; the template field has it. Podman's
    // default OCI format drops it: it is there because the README's BUILDAH_FORMAT kept it.
    const healthcheck = await podman(['image', 'inspect', IMAGE, '--format', '{{json .HealthCheck}}']);
    expect(JSON.parse(healthcheck.stdout)?.Test).toEqual(['CMD', 'bash', '/usr/local/bin/healthcheck']);
    // The production install leaves TypeScript out (a devOptional peer of valibot).
    const typescript = await run('podman', ['run', '--rm', '--entrypoint', 'ls', IMAGE, 'node_modules/typescript']);
    expect(typescript.code, 'node_modules/typescript is in the image').not.toBe(0);
    const version = await podman(['run', '--rm', IMAGE, '--version']);
    expect(version.stdout).toMatch(/^ordermanagement \d+\.\d+\.\d+\n$/);

    const expected = [
      ...['redis', 'upstream', 'otel-lgtm', 'board'].map((service) => stack().container(service)),
      ...Array.from({ length: WORKERS }, (_, i) => stack().container('worker', i + 1)),
    ];
    await waitFor(
      'every service running',
      async () => {
        const running = (await stack().containers()).filter((c) => c.state === 'running').map((c) => c.name);
        return expected.every((name) => running.includes(name)) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The scheduler registers the cycle schedule and exits 0 (podman-compose ignores depends_on
    // conditions: it starts containers in dependency order without waiting, so it waits for Redis itself).
    const scheduler = await waitFor(
      'the scheduler to exit',
      async () =>
        (await stack().containers()).find((c) => c.name === stack().container('scheduler') && c.state === 'exited'),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(scheduler.exitCode).toBe(0);
  }, 960_000);

  it('takes every seeded order to a final status, taking exactly the stock shipped orders need', async () => {
    const done = await waitFor(
      'every seeded order final',
      async () => {
        const s = await snapshot();
        return allFinal(s) ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    figures.seededOrdersFinalSinceUpSeconds = seconds(upStartedAt);
    figures.seededOutcome = done.counts;
    expect(done.counts.shipped).toBe(SEEDED);
    const initial = await initialStock();
    for (const [type, level] of Object.entries(done.stock)) {
      expect((initial[type] ?? 0) - level, type).toBe(done.shipped[type] ?? 0);
    }
  }, 180_000);

  it("passes each role's HEALTHCHECK (podman healthcheck run), cheaply, and fails it when the endpoint is wrong", async () => {
    // Podman schedules healthchecks with systemd timers; without systemd (here) they run only on
    // demand, so the test runs them. A container whose check passes shows "healthy".
    const roles = [
      ...['redis', 'upstream', 'board'].map((service) => stack().container(service)),
      ...Array.from({ length: WORKERS }, (_, i) => stack().container('worker', i + 1)),
    ];
    for (const container of roles) {
      await waitFor(
        `${container} healthy`,
        async () => ((await run('podman', ['healthcheck', 'run', container])).code === 0 ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    }
    const worker = stack().container('worker', 1);
    // What a probe costs inside the container: the image's bash probe against a Node one-liner.
    const timed = async (command: string, times: number) => {
      const script = `TIMEFORMAT=%R; time (for i in $(seq ${times}); do ${command} || exit 1; done)`;
      const { stderr } = await podman(['exec', worker, 'bash', '-c', script]);
      return Math.round((Number(stderr.trim().split('\n').pop()) / times) * 1000);
    };
    const bashMs = await timed('bash /usr/local/bin/healthcheck', 20);
    const nodeMs = await timed(
      `node -e "fetch('http://127.0.0.1:8081/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`,
      5,
    );
    const started = performance.now();
    await podman(['healthcheck', 'run', worker]);
    Object.assign(figures, { healthcheckMsBash: bashMs, healthcheckMsNode: nodeMs });
    figures.podmanHealthcheckRunSeconds = seconds(started);
    expect(bashMs).toBeLessThan(nodeMs);
    // The probe is not vacuous: pointed at a port nothing listens on, it fails.
    const wrong = await run('podman', ['exec', '-e', 'HEALTH_PORT=1', worker, 'bash', '/usr/local/bin/healthcheck']);
    expect(wrong.code).not.toBe(0);
  }, 180_000);

  it('serves the board on its published loopback port: 401 without credentials, 200 with them', async () => {
    await waitFor('the board to answer', async () => ((await fetch(boardUrl('/readyz'))).ok ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect((await fetch(boardUrl('/'))).status).toBe(401);
    expect((await fetch(boardUrl('/'), { headers: { authorization: basicAuth } })).status).toBe(200);
  });

  it('stops a worker with SIGTERM mid-work: exit 0 before the grace period; SIGKILL on another loses nothing', async () => {
    const upstream = stack().container('upstream');
    const before = await snapshot();
    const total = Object.values(before.counts).reduce((a, b) => a + b, 0);
    const created = await stack().nodeIn<number>(upstream, createOrdersScript(BATCH));
    // Strike once the batch is being processed, not before the next cycle lists it nor after it is done.
    const atStrike = await waitFor(
      'the batch to be under way',
      async () => {
        const registered = await stack().nodeIn<number>(upstream, SIM_REGISTERED);
        return registered > 0 && registered < created * 0.9 ? registered : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const stopped = stack().container('worker', 2);
    const killed = stack().container('worker', 3);
    // Both at once, so the kill too lands while the batch is in flight (the stop waits for active jobs).
    const stopping = podman(['stop', '-t', '40', stopped], { timeoutMs: 60_000 });
    await podman(['kill', '-s', 'KILL', killed]);
    const stop = await stopping;
    figures.registeredAtStopAndKill = atStrike;
    figures.workerStopSeconds = Math.round(stop.seconds * 100) / 100;
    // Exit 0 within `stop -t 40`: it stopped by itself, before podman would have killed it (137).
    // How long it took is a figure (workerStopSeconds), not an assertion: it moves with the machine.
    expect(await stack().exitCode(stopped)).toBe(0);
    expect(await stack().exitCode(killed)).toBe(137);

    // The killed worker's jobs stall; the remaining worker takes them over once their locks lapse
    // (JOB_LOCK_MS, 30 s by default), so allow two lock periods and the work itself. Settled: every
    // order that is not final has a job failed for good (parked for a person), and none is in flight.
    const started = performance.now();
    const { done, parked } = await waitFor(
      'every order final or parked after the kill',
      async () => {
        const s = await snapshot();
        const open = (s.counts.registered ?? 0) + (s.counts.ready ?? 0) + (s.counts.unknown ?? 0);
        const failed = await failedJobs();
        return open === failed ? { done: s, parked: failed } : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 2000 },
    );
    figures.batchSettledAfterKillSeconds = seconds(started);
    figures.batchOutcome = done.counts;
    const logs = await run('podman', ['logs', stack().container('worker', 1)]);
    figures.stalledJobsTakenOver = (logs.stdout.match(/job stalled/g) ?? []).length;
    figures.parkedForAPerson = parked;
    const initial = await initialStock();
    // Stock taken beyond what shipped orders account for: decreases made for orders left unfinished.
    const unaccounted = Object.fromEntries(
      Object.entries(done.stock).map(([type, level]) => [
        type,
        (initial[type] ?? 0) - level - (done.shipped[type] ?? 0),
      ]),
    );
    figures.stockTakenBeyondShipped = unaccounted;

    expect(Object.values(done.counts).reduce((a, b) => a + b, 0)).toBe(total + created);
    // Killing a worker loses nothing: every order ends final, none is left failed for a person to replay.
    expect(parked, `${parked} orders parked for a person after one SIGKILL`).toBe(0);
    expect(allFinal(done)).toBe(true);
    expect(done.counts.blocked).toBe(5); // the five orders larger than any stock level
    // Stock exact: what was taken is what the shipped orders needed, wood type by wood type.
    expect(unaccounted).toEqual(Object.fromEntries(Object.keys(done.stock).map((type) => [type, 0])));
  }, 300_000);

  it('exports traces and metrics to the OTLP endpoint', async () => {
    const url = `http://127.0.0.1:${ports?.otlp}/counts`;
    type Counts = Record<'traces' | 'metrics' | 'logs', { requests: number; byService: Record<string, number> }>;
    // Metrics leave every OTEL_METRIC_EXPORT_INTERVAL (10 s in the compose file).
    const counts = await waitFor(
      'traces and metrics from the workers',
      async () => {
        const c = (await (await fetch(url)).json()) as Counts;
        return c.traces.byService['ordermanagement-worker'] && c.metrics.byService['ordermanagement-worker']
          ? c
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    figures.otlp = counts;
  }, 90_000);

  it('stops a worker promptly when SIGTERM comes during start-up, under compose (init: true)', async () => {
    const stop = await stopDuringStartUp(`${stack().name}_startup_init`, ['--init']);
    figures.startupStopWithInit = stop;
    expect(stop.seconds).toBeLessThan(5);
    expect(stop.exitCode).not.toBe(137);
  }, 90_000);

  // Kubernetes runs the image without an init: node is PID 1, and a PID 1 without a handler ignores
  // SIGTERM. Until the app handles signals from its first moment, this ends in SIGKILL (137) after 10 s.
  it('stops a worker promptly when SIGTERM comes during start-up, as Kubernetes runs the image (no init)', async () => {
    const stop = await stopDuringStartUp(`${stack().name}_startup_pid1`, []);
    figures.startupStopWithoutInit = stop;
    expect(stop.exitCode, `stopped after ${stop.seconds} s`).not.toBe(137);
    expect(stop.seconds).toBeLessThan(5);
  }, 90_000);

  it('runs compose commands without BOARD_PASSWORD when they do not start the board', async () => {
    const env = { ...stack().env };
    delete env.BOARD_PASSWORD;
    const ps = await stack().shell(['podman-compose ps'], env);
    expect(ps.stdout).toContain(stack().container('board'));
  });

  it("stops with the README's `down`: every container ends by itself with 0, none is killed", async () => {
    const [down] = README.later;
    expect(down).toMatch(/^podman-compose down\b(?!.*-v)/);
    before = { sim: await snapshot(), ledger: await ledgerEntries() };
    const started = performance.now();
    const exitCodes = await exitCodesOf(() => stack().shell([down as string]));
    figures.readmeDownSeconds = seconds(started);
    figures.exitCodesAtDown = exitCodes;
    expect(exitCodes).toEqual(Object.fromEntries(Object.keys(exitCodes).map((name) => [name, '0'])));
  }, 240_000);

  it("resumes with the README's `up`: Redis and the simulator where they were, new orders processed", async () => {
    const [, up] = README.later;
    expect(up).toMatch(/podman-compose up\b/);
    await stack().shell([up as string]);
    await waitFor('the simulator to answer again', () => snapshot().catch(() => undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    // Nothing re-seeded, nothing lost: the same orders, statuses and stock, and the same ledger.
    expect(await snapshot()).toEqual(before?.sim);
    expect(await ledgerEntries()).toBe(before?.ledger);
    const created = await stack().nodeIn<number>(stack().container('upstream'), createOrdersScript(20));
    const done = await waitFor(
      'the new orders final',
      async () => {
        const s = await snapshot();
        return allFinal(s) ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const total = (s: SimSnapshot | undefined) => Object.values(s?.counts ?? {}).reduce((a, b) => a + b, 0);
    expect(total(done)).toBe(total(before?.sim) + created);
  }, 240_000);

  it("removes everything with the README's `down -v`: every container ends by itself with 0, nothing is left", async () => {
    const [, , remove] = README.later;
    expect(remove).toMatch(/^podman-compose down -v$/);
    await stack().saveLogs(strays);
    const started = performance.now();
    const exitCodes = await exitCodesOf(() => stack().shell([remove as string]));
    figures.readmeDownVolumesSeconds = seconds(started);
    figures.exitCodesAtDownVolumes = exitCodes;
    // The simulator once needed more than podman-compose's 10 s (SIGKILL, 137): its last save queued
    // behind DNS lookups of the collector stopped before it.
    expect(exitCodes).toEqual(Object.fromEntries(Object.keys(exitCodes).map((name) => [name, '0'])));
    const label = `label=io.podman.compose.project=${stack().name}`;
    const left = await Promise.all(
      [
        ['ps', '-a'],
        ['volume', 'ls'],
      ].map((list) => podman([...list, '-q', '--filter', label])),
    );
    // podman-compose 1.0.3 leaves the project's network, which the test removes after.
    expect(left.flatMap((result) => result.stdout.split('\n').filter(Boolean))).toEqual([]);
  }, 240_000);
});
