import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../cli/commands/index.ts';
import { describeConfig } from '../../src/config/describe.ts';
import { loadConfig } from '../../src/config/load.ts';

// The files as data: what docker compose and Kubernetes read that the podman run (containers.test.ts)
// cannot show, since podman-compose 1.0.3 ignores depends_on conditions and healthcheck settings.
const root = new URL('../..', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Service {
  image?: string;
  build?: string;
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

  it('runs every application role from the one image, with a command the CLI has', () => {
    for (const name of ['upstream', 'scheduler', 'worker', 'board']) {
      const service = services[name] as Service;
      expect(service.build).toBe('.');
      const [command] = service.command ?? [];
      expect(Object.keys(COMMANDS)).toContain(command);
    }
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
        if (!variable.startsWith('OTEL_')) expect(variables).toContain(variable);
      }
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
    });
    expect(worker.environment?.HEALTH_PORT).toBe('8081');
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

  it('provisions a Grafana dashboard whose queries use metrics the code exports', () => {
    const lgtm = services['otel-lgtm'] as Service;
    expect(lgtm.volumes).toEqual([
      './deploy/grafana/provisioning.yaml:/otel-lgtm/grafana/conf/provisioning/dashboards/ordermanagement.yaml:ro',
      './deploy/grafana/dashboards:/otel-lgtm/ordermanagement-dashboards:ro',
    ]);
    const provider = parse(read('deploy/grafana/provisioning.yaml'));
    expect(provider.providers[0].options.path).toBe('/otel-lgtm/ordermanagement-dashboards');
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/ordermanagement.json'));
    const source = read('src/telemetry/metrics.ts');
    const exported = [...source.matchAll(/create\w+\('([\w.]+)'/g)].map((m) => (m[1] as string).replaceAll('.', '_'));
    const queries: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    expect(queries.length).toBeGreaterThan(5);
    for (const query of queries) {
      const names = query.match(/ordermanagement_[a-z_]+/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        expect(exported.some((metric) => name.startsWith(metric))).toBe(true);
      }
    }
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

  it('has the files it runs: the build emits the CLI where the entrypoint expects it', () => {
    const build = JSON.parse(read('tsconfig.build.json'));
    expect(build.compilerOptions.outDir).toBe('dist');
    expect(build.include).toEqual(['src', 'workers', 'cli']);
    // The build stage copies every folder the build compiles.
    for (const folder of build.include)
      expect(read('Dockerfile')).toMatch(new RegExp(`^COPY ${folder} ./${folder}$`, 'm'));
    expect(read('cli/ordermanagement.ts')).toContain("register('@opentelemetry/instrumentation/hook.mjs'");
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(scripts.build).toBe('tsc -p tsconfig.build.json');
  });
});
