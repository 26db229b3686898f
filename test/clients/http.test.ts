import type { RequestListener } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { JsonHttpClient } from '../../src/clients/http.ts';
import { createOrderApi } from '../../src/clients/order-api.ts';
import { createStockApi } from '../../src/clients/stock-api.ts';
import { UpstreamError } from '../../src/errors.ts';
import { serveOnLoopback } from '../helpers/loopback.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function client(url: string, timeoutMs = 2000): JsonHttpClient {
  const http = new JsonHttpClient('Test API', url, { timeoutMs, connections: 4 });
  closers.push(() => http.close());
  return http;
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const json =
  (status: number, body: unknown): RequestListener =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

describe('the Order API client', () => {
  it('sends explicit skip and limit, keeps the base path, and tells how many elements came', async () => {
    const seen: string[] = [];
    const url = await serveOnLoopback((req, res) => {
      seen.push(req.url ?? '');
      json(200, [{ id: 1, wood_type: 'oak', quantity: 2, order_status: 'registered' }, { id: 'x' }])(req, res);
    });
    const page = await createOrderApi(client(`${url}/api`)).listRegistered(200, 100);
    expect(seen).toEqual(['/api/orders/status/registered?skip=200&limit=100']);
    expect(page.size).toBe(2);
    expect(page.orders.map((o) => o.id)).toEqual([1]);
    expect(page.invalid).toHaveLength(1);
  });

  it.each([
    ['an HTML error page with 200', json(200, '<html><body>Bad gateway</body></html>'), 'permanent'],
    ['an object instead of a list', json(200, { error: 'nope' }), 'permanent'],
    ['a 502', json(502, { error: 'Simulated API error during order listing by status' }), 'transient'],
    ['a 429', json(429, {}), 'transient'],
    ['a 400', json(400, { error: 'skip and limit must be integers' }), 'permanent'],
    ['a 10 MB body', json(200, `[${'1,'.repeat(5_000_000)}1]`), 'permanent'],
  ])('classifies %s', async (_what, handler, kind) => {
    const url = await serveOnLoopback(handler);
    expect((await failure(createOrderApi(client(url)).listRegistered(0, 10))).kind).toBe(kind);
  });

  it('times out on an answer that never comes, as a transient failure', async () => {
    const url = await serveOnLoopback(() => {});
    const error = await failure(createOrderApi(client(url, 200)).getOrder(1));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('aborted due to timeout');
    expect(error.unanswered).toBe(true);
  });

  it('bounds the whole request, even an answer that trickles in faster than the per-chunk timeout', async () => {
    const url = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 50);
      res.once('close', () => clearInterval(drip));
    });
    const started = Date.now();
    const error = await failure(createOrderApi(client(url, 300)).listRegistered(0, 10));
    expect(error.kind).toBe('transient');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out on a body that stalls halfway', async () => {
    const url = await serveOnLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"id": 1,');
    });
    expect((await failure(createOrderApi(client(url, 200)).listRegistered(0, 10))).kind).toBe('transient');
  });

  it('treats a refused connection as transient', async () => {
    const port = await freePort();
    expect((await failure(createOrderApi(client(`http://127.0.0.1:${port}`)).getOrder(1))).kind).toBe('transient');
  });

  it('reads 404 Order not found as order-not-found', async () => {
    const url = await serveOnLoopback(json(404, { error: 'Order not found' }));
    expect((await failure(createOrderApi(client(url)).getOrder(7))).kind).toBe('order-not-found');
  });
});

describe('a base URL with credentials', () => {
  it('sends them as basic auth, and not in the request line', async () => {
    const seen: { authorization?: string; url?: string }[] = [];
    const url = await serveOnLoopback((req, res) => {
      seen.push({ authorization: req.headers.authorization, url: req.url });
      json(200, { id: 7, wood_type: 'oak', quantity: 1, order_status: 'registered' })(req, res);
    });
    await createOrderApi(client(url.replace('http://', 'http://svc%40x:p%3Ass@'))).getOrder(7);
    expect(seen).toEqual([
      { authorization: `Basic ${Buffer.from('svc@x:p:ss').toString('base64')}`, url: '/orders/7' },
    ]);
  });
});

describe('the Stock API client', () => {
  it('sends the Idempotency-Key and reads the new level', async () => {
    let key: string | undefined;
    const url = await serveOnLoopback((req, res) => {
      key = String(req.headers['idempotency-key']);
      json(200, { wood_type: 'oak', quantity: 5 })(req, res);
    });
    expect(await createStockApi(client(url)).decrease('oak', 3, 'decrease-9')).toEqual({ kind: 'taken', level: 5 });
    expect(key).toBe('decrease-9');
  });

  it('counts a 2xx with an unreadable body as taken, not as a failure to retry', async () => {
    const url = await serveOnLoopback(json(200, 'OK'));
    expect(await createStockApi(client(url)).decrease('oak', 3, 'k')).toEqual({ kind: 'taken', level: undefined });
  });

  it.each([
    [400, { error: 'Insufficient stock' }, { kind: 'refused', outcome: 'blocked' }],
    [404, { error: 'Stock not found' }, { kind: 'refused', outcome: 'closed' }],
    [500, { error: 'Unexpected error during stock decrease' }, { kind: 'uncertain', serviceAnswered: true }],
    [504, '<html>Gateway Timeout</html>', { kind: 'uncertain', serviceAnswered: false }],
  ])('reads %i %j as an answer: %j', async (status, body, answer) => {
    const url = await serveOnLoopback(json(status, body));
    expect(await createStockApi(client(url)).decrease('oak', 3, 'k')).toMatchObject(answer);
  });

  it.each([
    [500, { error: 'Simulated DB error during stock decrease' }, 'transient'],
    [429, {}, 'transient'],
    [400, { error: 'Invalid input' }, 'permanent'],
  ])('throws for %i %j, which proves nothing was taken: %s', async (status, body, kind) => {
    const url = await serveOnLoopback(json(status, body));
    expect((await failure(createStockApi(client(url)).decrease('oak', 3, 'k'))).kind).toBe(kind);
  });

  it('answers in doubt when the connection breaks after the request was sent', async () => {
    const url = await serveOnLoopback((req) => req.socket.destroy());
    expect(await createStockApi(client(url)).decrease('oak', 3, 'k')).toMatchObject({
      kind: 'uncertain',
      serviceAnswered: false,
    });
  });

  it('throws when the connection is refused: the request never left', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expect((await failure(createStockApi(client(url)).decrease('oak', 3, 'k'))).kind).toBe('transient');
  });

  it('reads the level of a wood type, and none for one without a stock row', async () => {
    const url = await serveOnLoopback((req, res) =>
      req.url === '/stocks/oak'
        ? json(200, { wood_type: 'oak', quantity: 12 })(req, res)
        : json(404, { error: 'Stock not found' })(req, res),
    );
    const api = createStockApi(client(url));
    expect(await api.level('oak')).toBe(12);
    expect(await api.level('elm')).toBe('none');
  });
});

describe('a request with a deadline (a stock decrease)', () => {
  /** A server that records what reached it and holds its first answer until `release`. */
  async function holdingUpstream() {
    const reached: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = await serveOnLoopback((req, res) => {
      reached.push(String(req.url));
      if (reached.length === 1) void held.then(() => json(200, { wood_type: 'oak', quantity: 1 })(req, res));
      else json(200, { wood_type: 'oak', quantity: 1 })(req, res);
    });
    return { url, reached, release };
  }

  it('is never written once its deadline passed while it waited for a connection', async () => {
    const { url, reached, release } = await holdingUpstream();
    const http = new JsonHttpClient('Test API', url, { timeoutMs: 5000, connections: 1 });
    closers.push(() => http.close());
    const first = http.send({ method: 'POST', path: '/first', body: {} });
    await vi.waitFor(() => expect(reached).toEqual(['/first']));
    const late = failure(http.send({ method: 'POST', path: '/late', body: {}, deadline: performance.now() + 100 }));
    await new Promise((resolve) => setTimeout(resolve, 250));
    release();
    await first;
    const error = await late;
    expect(error.message).toContain('not sent');
    expect(error.unanswered).toBe(false);
    // The connection was free again, yet the late request never reached the server.
    await http.send({ method: 'POST', path: '/after', body: {} });
    expect(reached).toEqual(['/first', '/after']);
  });

  it('is never written after this process stalled, however far its deadline', async () => {
    const { url, reached } = await holdingUpstream();
    const http = new JsonHttpClient('Test API', url, { timeoutMs: 10_000, connections: 2 });
    closers.push(() => http.close());
    // Starts the heartbeat and opens the first connection, so the next request needs a second one.
    void http.send({ method: 'POST', path: '/first', body: {}, deadline: performance.now() + 10_000 }).catch(() => {});
    await vi.waitFor(() => expect(reached).toEqual(['/first']));
    const sending = failure(
      http.send({ method: 'POST', path: '/stalled', body: {}, deadline: performance.now() + 10_000 }),
    );
    // The process freezes while the connection is being made: its socket is handed the request after.
    const frozenUntil = Date.now() + 1500;
    while (Date.now() < frozenUntil) {}
    const error = await sending;
    expect(error.message).toContain('this process stalled before it left');
    expect(error.unanswered).toBe(false);
    expect(reached).toEqual(['/first']);
  });
});
