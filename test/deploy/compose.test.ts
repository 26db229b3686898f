import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../cli/commands/index.ts';
import { describeConfig } from '../../src/config/describe.ts';
import { loadConfig } from '../../src/config/load.ts';
import { otlpReceiver } from '../helpers/otlp-receiver.ts';
import { childEnv, startSim, testConfig } from '../helpers/pipeline.ts';
import { run } from '../helpers/run.ts';
import { waitFor } from '../helpers/wait.ts';

// The files as data: what docker compose and Kubernetes read that the podman run (containers.test.ts)
// cannot show, since podman-compose 1.0.3 ignores depends_on conditions and healthcheck settings.
const root = new URL('../..', import.meta.url);
const ROOT = fileURLToPath(root);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Service {
  image?: string;
  build?: string;
  deploy?: { replicas?: string | number };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  container_name?: string;
  restart?: string;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const variables = new Set(describeConfig(loadConfig({})).map((entry) => entry.variable));

describe('docker-compose.yml', () => {
  it('has the stack: Redis, the upstream simulator, scheduler, workers, board and the OpenTelemetry backend', () => {
    expect(Object.keys(services).sort()).toEqual(['board', 'otel-lgtm', 'redis', 'scheduler', 'upstream', 'worker']);
    expect(services['otel-lgtm']?.image).toMatch(/^grafana\/otel-lgtm/);
  });

  it('runs Redis with AOF on, noeviction and a volume', () => {
    const redis = services.redis as Service;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('keeps the simulator in a volume beside Redis, so `down` and `up` resume both', () => {
    const upstream = services.upstream as Service;
    const file = upstream.environment?.SIM_DATA_FILE ?? '';
    expect(loadConfig({ SIM_DATA_FILE: file }).simDataFile).toBe(file);
    const [volume, mountedAt] = (upstream.volumes?.[0] ?? '').split(':');
    expect(volume).toBe('upstream-data');
    expect(file.startsWith(`${mountedAt}/`)).toBe(true);
    expect(read('Dockerfile')).toMatch(new RegExp(`^RUN mkdir ${mountedAt} && chown 1000:1000 ${mountedAt}$`, 'm'));
  });

  it('builds the one image once, and runs every application role from it, with a command the CLI has', () => {
    const roles = ['upstream', 'scheduler', 'worker', 'board'];
    // podman-compose builds once per service that names a build: one does.
    expect(roles.filter((name) => services[name]?.build !== undefined)).toEqual(['scheduler']);
    for (const name of roles) {
      const service = services[name] as Service;
      expect(service.image).toBe('ordermanagement:local');
      const [command] = service.command ?? [];
      expect(Object.keys(COMMANDS)).toContain(command);
    }
  });

  it('fails on purpose at 0.1, as the reference services and worker did, unless told otherwise', () => {
    for (const name of ['upstream', 'scheduler', 'worker', 'board']) {
      const env = services[name]?.environment ?? {};
      expect([env.ERROR_RATE, env.CYCLE_ERROR_RATE]).toEqual([`\${ERROR_RATE:-0.1}`, `\${CYCLE_ERROR_RATE:-0.1}`]);
    }
    expect(services.upstream?.environment?.SIM_ERROR_RATE).toBe(`\${SIM_ERROR_RATE:-0.1}`);
  });

  it('wires every role to Redis, the upstream and the OTLP endpoint through known variables', () => {
    for (const name of ['upstream', 'scheduler', 'worker', 'board']) {
      const env = services[name]?.environment ?? {};
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      // One variable each points the stack at real services; unset, the simulator answers.
      expect(env.API_URL_ORDERS).toBe(`\${API_URL_ORDERS:-http://upstream:5000}`);
      expect(env.API_URL_STOCKS).toBe(`\${API_URL_STOCKS:-http://upstream:5001}`);
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-lgtm:4318');
      for (const variable of Object.keys(env)) {
        if (!variable.startsWith('OTEL_') && variable !== 'RES_OPTIONS') expect(variables).toContain(variable);
      }
      // Lookups fail over within a second: a stop never waits 20 s on one (see the file's comment).
      expect(env.RES_OPTIONS).toBe('timeout:1 attempts:1');
    }
  });

  it('stops the collector after every role that exports to it (compose stops in reverse dependency order)', () => {
    for (const name of ['upstream', 'scheduler', 'worker', 'board']) {
      expect(services[name]?.depends_on?.['otel-lgtm'], name).toEqual({ condition: 'service_started' });
    }
  });

  it('lets the worker scale: no fixed name or host port, healthy dependencies first, time to finish jobs', () => {
    const worker = services.worker as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      upstream: { condition: 'service_healthy' },
      scheduler: { condition: 'service_completed_successfully' },
      'otel-lgtm': { condition: 'service_started' },
    });
    expect(worker.environment?.HEALTH_PORT).toBe('8081');
    // podman-compose 1.0.3 ignores --scale; both tools honour replicas.
    expect(worker.deploy?.replicas).toBe(`\${WORKER_REPLICAS:-1}`);
  });

  it('passes the board password through (the board refuses to start beyond loopback without it) and publishes on loopback only', () => {
    const board = services.board as Service;
    expect(board.environment?.BOARD_HOST).toBe('0.0.0.0');
    // A `${BOARD_PASSWORD:?}` would stop every compose command, `ps` and `down` included, without it.
    expect(board.environment).toHaveProperty('BOARD_PASSWORD', null);
    for (const service of Object.values(services)) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('provisions the Grafana dashboard (its queries run against a real Prometheus in dashboard.test.ts)', () => {
    const lgtm = services['otel-lgtm'] as Service;
    expect(lgtm.volumes).toEqual([
      './deploy/grafana/provisioning.yaml:/otel-lgtm/grafana/conf/provisioning/dashboards/ordermanagement.yaml:ro',
      './deploy/grafana/dashboards:/otel-lgtm/ordermanagement-dashboards:ro',
    ]);
    const provider = parse(read('deploy/grafana/provisioning.yaml'));
    expect(provider.providers[0].options.path).toBe('/otel-lgtm/ordermanagement-dashboards');
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/ordermanagement.json'));
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => ({ image: m[1], name: m[2] }));

  it('builds with dev dependencies and runs with production ones only, on node:24 slim', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24-[a-z]+-slim$/);
    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m);
    expect(build).toMatch(/RUN npm ci\b(?!.*--omit=dev)/);
    expect(build).toContain('RUN npm run build');
    expect(runtime).toContain('npm ci --omit=dev');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
  });

  it('runs as a numeric non-root user with a healthcheck, one image for every role', () => {
    const runtime = dockerfile.split(/^FROM .* AS runtime$/m)[1] ?? '';
    // By number: Kubernetes' runAsNonRoot cannot verify a user name.
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\/usr\/local\/bin\/healthcheck/m);
    expect(read('deploy/healthcheck.sh')).toContain('/readyz');
    // The CLI itself starts telemetry and handles signals: no preload, nothing before it.
    expect(runtime).toMatch(/^ENTRYPOINT \["node", (?:"--[\w-]+=\w+", )*"dist\/cli\/ordermanagement\.js"\]$/m);
    const [, command] = /^CMD \["(\w+)"\]$/m.exec(runtime) ?? [];
    expect(Object.keys(COMMANDS)).toContain(command);
  });

  it('caps the V8 heap of every role', () => {
    const runtime = dockerfile.split(/^FROM .* AS runtime$/m)[1] ?? '';
    expect(runtime).toMatch(/^\s*NODE_OPTIONS="--max-semi-space-size=\d+ --max-old-space-size=\d+"/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "--heap-growing-percent=\d+",/m);
  });

  it('runs what its build stage emits: the entrypoint starts the built CLI, which instruments Redis and HTTP calls', async () => {
    const build = JSON.parse(read('tsconfig.build.json'));
    // The build stage copies every folder the build compiles, and runs the build the project defines.
    for (const folder of build.include) expect(dockerfile).toMatch(new RegExp(`^COPY ${folder} ./${folder}$`, 'm'));
    expect(dockerfile).toContain('RUN npm run build');
    const built = await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    expect(built.code, `${built.stdout}${built.stderr}`).toBe(0);
    // The image's ENTRYPOINT, as it would run in /app, with the CMD's role.
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const [node, ...args] = entrypoint;
    expect(node).toBe('node');
    const version = await run(process.execPath, [...args, '--version'], { cwd: ROOT });
    expect(version.stdout).toBe(`ordermanagement ${JSON.parse(read('package.json')).version}\n`);

    const otlp = await otlpReceiver('http');
    const h = await startSim({ orders: 2, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
    onTestFinished(() => h.sim.close());
    const child = spawn(process.execPath, [...args, 'start'], {
      cwd: ROOT,
      env: {
        ...childEnv(testConfig(h.sim, { INTERVAL_SECONDS: '60' })),
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    onTestFinished(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    await waitFor('Redis and HTTP spans from the built CLI', () => {
      const scopes = new Set(otlp.received.spans.map((span) => span.scope));
      return (
        scopes.has('@opentelemetry/instrumentation-ioredis') && scopes.has('@opentelemetry/instrumentation-undici')
      );
    });
  });
});
