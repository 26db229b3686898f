import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gate {
  readonly url: string;
  close(): Promise<void>;
}

/** An answer a hostile upstream gives instead of the real one. */
export interface Forged {
  readonly status: number;
  /** Sent as it is when a string, as JSON otherwise. */
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface GateRules {
  /** Called with each real answer's request before the answer is passed on: the world may change meanwhile. */
  hold?(url: URL): Promise<void>;
  /**
   * Answers a request in place of the upstream (undefined forwards it). `forward` sends it on and
   * returns the real answer, for an upstream that does the work and then lies about it.
   */
  intercept?(
    request: { readonly method: string; readonly url: URL; readonly body: string },
    forward: () => Promise<Forged>,
  ): Promise<Forged | undefined> | Forged | undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An HTTP proxy in front of an upstream that forwards every request, unless a rule answers it
 * instead: the hostile Order and Stock APIs of the tests (pages that ignore skip, bodies that are not
 * JSON, 429 with Retry-After, a 404 after the work was done).
 */
export async function startGate(target: string, rules: GateRules): Promise<Gate> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    (async () => {
      const method = req.method ?? 'GET';
      const body = await readBody(req);
      const forward = async (): Promise<Forged> => {
        const answer = await fetch(url, {
          method,
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            ...(req.headers['idempotency-key'] ? { 'idempotency-key': String(req.headers['idempotency-key']) } : {}),
          },
          body: method === 'GET' || method === 'HEAD' ? undefined : body,
        });
        const text = await answer.text();
        await rules.hold?.(url);
        return {
          status: answer.status,
          body: text,
          headers: { 'content-type': answer.headers.get('content-type') ?? '' },
        };
      };
      const answer = (await rules.intercept?.({ method, url, body }, forward)) ?? (await forward());
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
