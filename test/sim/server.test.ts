import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/random.ts';
import { referenceCapacity } from '../../src/sim/capacity.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/server.ts';
import { SimStore } from '../../src/sim/store.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(extra: Partial<SimulatorOptions> = {}): Promise<{ store: SimStore; sim: Simulator }> {
  const store = new SimStore();
  store.addStock('oak', 10);
  for (let i = 0; i < 25; i++) store.createOrder(i % 2 ? 'oak' : 'pine', 3);
  sim = await startSimulator({ store, random: createRandom(1), errorRate: 0, ...extra });
  return { store, sim };
}

async function call(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    body,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text, type: String(res.headers['content-type']) };
}

describe('the simulated Order API keeps to the contract', () => {
  it('pages registered orders with limit 10 by default and explicit skip/limit', async () => {
    const { sim } = await start();
    const first = await call(sim.orderUrl, 'GET', '/orders/status/registered');
    expect((first.json as unknown[]).length).toBe(10);
    const last = await call(sim.orderUrl, 'GET', '/orders/status/registered?skip=20&limit=100');
    expect((last.json as { id: number }[]).map((o) => o.id)).toEqual([21, 22, 23, 24, 25]);
    expect(last.json).toContainEqual(
      expect.objectContaining({ id: 21, wood_type: 'pine', quantity: 3, order_status: 'registered' }),
    );
  });

  it('answers the contract errors', async () => {
    const { sim } = await start();
    expect(await call(sim.orderUrl, 'GET', '/orders/status/bogus')).toMatchObject({
      status: 400,
      json: { error: 'Invalid status: bogus' },
    });
    expect(await call(sim.orderUrl, 'GET', '/orders/status/registered?skip=a')).toMatchObject({
      status: 400,
      json: { error: 'skip and limit must be integers' },
    });
    expect(await call(sim.orderUrl, 'GET', '/orders/999')).toMatchObject({
      status: 404,
      json: { error: 'Order not found' },
    });
    expect(await call(sim.orderUrl, 'PUT', '/orders/999', '{"order_status":"shipped"}')).toMatchObject({ status: 404 });
    expect(await call(sim.orderUrl, 'PUT', '/orders/1', '{"order_status":"Shipped"}')).toMatchObject({
      status: 400,
      json: { error: 'Invalid order status' },
    });
    expect(await call(sim.orderUrl, 'PUT', '/orders/1', '{}')).toMatchObject({
      status: 400,
      json: { error: "Missing 'order_status' in request body" },
    });
    const html = await call(sim.orderUrl, 'PUT', '/orders/1', 'not json');
    expect(html.status).toBe(400);
    expect(html.type).toContain('text/html');
    expect(await call(sim.orderUrl, 'POST', '/orders/', '{"wood_type":"teak","quantity":1}')).toMatchObject({
      status: 500,
    });
    expect(await call(sim.orderUrl, 'GET', '/health')).toMatchObject({
      status: 200,
      json: { service: 'order', status: 'healthy' },
    });
  });

  it('sets any valid status, again and again, and creates orders', async () => {
    const { sim, store } = await start();
    expect(await call(sim.orderUrl, 'PUT', '/orders/2', '{"order_status":"shipped"}')).toMatchObject({
      status: 200,
      json: { id: 2, order_status: 'shipped' },
    });
    expect(await call(sim.orderUrl, 'PUT', '/orders/2', '{"order_status":"shipped"}')).toMatchObject({ status: 200 });
    expect(store.countByStatus().registered).toBe(24);
    expect(await call(sim.orderUrl, 'GET', '/orders/2')).toMatchObject({ status: 200 });
    // What the bench counts per order: every status update and every read, whatever it answered.
    expect(await call(sim.orderUrl, 'PUT', '/orders/999', '{"order_status":"shipped"}')).toMatchObject({ status: 404 });
    expect({ writes: store.orderWrites, reads: store.orderReads }).toEqual({ writes: 3, reads: 1 });
    expect(await call(sim.orderUrl, 'POST', '/orders/', '{"wood_type":"elm","quantity":4}')).toMatchObject({
      status: 201,
      json: { id: 26, wood_type: 'elm', quantity: 4, order_status: 'registered' },
    });
  });
});

describe('the simulated Stock API keeps to the contract', () => {
  it('decreases, refuses, and tells a missing stock row apart', async () => {
    const { sim } = await start();
    const decrease = (body: string, headers?: Record<string, string>) =>
      call(sim.stockUrl, 'POST', '/stocks/decrease', body, headers);
    expect(await decrease('{"wood_type":"oak","quantity":3}')).toMatchObject({
      status: 200,
      json: { wood_type: 'oak', quantity: 7 },
    });
    expect(await decrease('{"wood_type":"oak","quantity":8}')).toMatchObject({
      status: 400,
      json: { error: 'Insufficient stock' },
    });
    expect(await decrease('{"wood_type":"elm","quantity":1}')).toMatchObject({
      status: 404,
      json: { error: 'Stock not found' },
    });
    expect(await decrease('{"wood_type":"oak","quantity":0}')).toMatchObject({
      status: 400,
      json: { error: 'Invalid input' },
    });
    expect(await decrease('{"wood_type":"oak"}')).toMatchObject({ status: 400, json: { error: 'Invalid input' } });
    expect(await decrease('')).toMatchObject({ status: 400, json: { error: 'Missing request body' } });
    expect(await call(sim.stockUrl, 'POST', '/stocks/', '{"wood_type":"oak","quantity":5}')).toMatchObject({
      status: 201,
      json: { wood_type: 'oak', quantity: 12 },
    });
    expect(await call(sim.stockUrl, 'GET', '/stocks/oak')).toMatchObject({ status: 200, json: { quantity: 12 } });
    expect(await call(sim.stockUrl, 'GET', '/stocks/elm')).toMatchObject({
      status: 404,
      json: { error: 'Stock not found' },
    });
  });

  it('honours Idempotency-Key: a repeated key answers the same and decreases once', async () => {
    const { sim, store } = await start();
    const body = '{"wood_type":"oak","quantity":4}';
    const first = await call(sim.stockUrl, 'POST', '/stocks/decrease', body, { 'idempotency-key': 'k1' });
    const again = await call(sim.stockUrl, 'POST', '/stocks/decrease', body, { 'idempotency-key': 'k1' });
    expect(first).toMatchObject({ status: 200, json: { quantity: 6 } });
    expect(again.json).toEqual(first.json);
    expect(store.stock.get('oak')).toBe(6);
  });

  it('refuses bodies over 1 MiB with 413', async () => {
    const { sim } = await start();
    const huge = JSON.stringify({ wood_type: 'oak', quantity: 1, pad: 'x'.repeat(1_100_000) });
    expect(await call(sim.stockUrl, 'POST', '/stocks/decrease', huge)).toMatchObject({ status: 413 });
  });

  it('loses concurrent updates in non-atomic mode, like the reference service, and not otherwise', async () => {
    for (const nonAtomic of [true, false]) {
      const { sim, store } = await start({ nonAtomic });
      store.addStock('pine', 100);
      await Promise.all(
        Array.from({ length: 10 }, () =>
          call(sim.stockUrl, 'POST', '/stocks/decrease', '{"wood_type":"pine","quantity":1}'),
        ),
      );
      // Every call answered 200; without a lock some of the ten decreases were overwritten.
      if (nonAtomic) expect(store.stock.get('pine')).toBeGreaterThan(90);
      else expect(store.stock.get('pine')).toBe(90);
      await sim.close();
    }
  });
});

describe('simulated failures', () => {
  it('fail before touching anything, with the contract answers', async () => {
    const { sim, store } = await start({ errorRate: 1 });
    expect(await call(sim.orderUrl, 'GET', '/orders/status/registered')).toMatchObject({ status: 502 });
    expect(await call(sim.orderUrl, 'PUT', '/orders/1', '{"order_status":"shipped"}')).toMatchObject({ status: 502 });
    expect(await call(sim.orderUrl, 'POST', '/orders/', '{"wood_type":"oak","quantity":1}')).toMatchObject({
      status: 500,
      json: { error: 'Simulated DB insertion error' },
    });
    expect(await call(sim.stockUrl, 'POST', '/stocks/decrease', '{"wood_type":"oak","quantity":1}')).toMatchObject({
      status: 500,
      json: { error: 'Simulated DB error during stock decrease' },
    });
    expect(await call(sim.orderUrl, 'GET', '/health')).toMatchObject({ status: 200 });
    expect(store.stock.get('oak')).toBe(10);
    expect(store.countByStatus().registered).toBe(25);
  });
});

describe('the simulator with the reference services’ capacity', () => {
  it('serves one request’s worth of work at a time and closes each connection', async () => {
    const { sim } = await start({ capacity: referenceCapacity() });
    const one = await call(sim.orderUrl, 'GET', '/orders/1');
    expect(one.status).toBe(200);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(sim.orderUrl, 'GET', `/orders/${1 + i}`)),
    );
    const elapsed = performance.now() - started;
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Twenty reads of 2.1 ms each cannot all be served in less than their sum.
    expect(elapsed).toBeGreaterThanOrEqual(20 * referenceCapacity().serviceMs.read * 0.95);
    const res = await request(`${sim.orderUrl}/health`);
    await res.body.text();
    expect(res.headers.connection).toBe('close');
  });
});
