import { createServer, type Server } from 'node:http';
import { type Listening, listen } from './listen.ts';

/** A named readiness check: resolves true when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean>;

const CHECK_TIMEOUT_MS = 1000;

async function withTimeout(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once; ready only when all pass. */
export async function readiness(
  checks: Record<string, ReadinessCheck>,
): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => withTimeout(checks[name] as ReadinessCheck)));
  const byName = Object.fromEntries(names.map((name, i) => [name, results[i] as boolean]));
  return { ready: results.every(Boolean), checks: byName };
}

/**
 * `GET /livez` (the process answers) and `GET /readyz` (every check passes) for container
 * healthchecks and Kubernetes probes. They reveal no data, so they need no authentication. The
 * checks are asked for at each probe: a role may start serving probes before it is ready.
 */
export function healthHandler(checks: () => Record<string, ReadinessCheck>) {
  return async (path: string): Promise<{ status: number; body: unknown } | undefined> => {
    if (path === '/livez') return { status: 200, body: { status: 'alive' } };
    if (path === '/readyz') {
      const result = await readiness(checks());
      return { status: result.ready ? 200 : 503, body: { status: result.ready ? 'ready' : 'unready', ...result } };
    }
    return undefined;
  };
}

/** A server with only the two health endpoints, for processes that serve nothing else (workers). */
export async function startHealthServer(
  host: string,
  port: number,
  checks: () => Record<string, ReadinessCheck>,
): Promise<Listening> {
  const handle = healthHandler(checks);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    void handle(req.method === 'GET' ? path : '').then((answer) => {
      const { status, body } = answer ?? { status: 404, body: { error: 'not found' } };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  return listen(server, host, port, 'HEALTH_PORT');
}
