import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../cli/redis-server.ts';
import { SimStore } from '../../src/sim/store.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ordermanagement-sim-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'simulator.json');
}

describe('the simulator state in SIM_DATA_FILE', () => {
  it('reads back what it wrote: orders with their statuses, stock, and the next id', () => {
    const store = new SimStore();
    store.addStock('oak', 7);
    const first = store.createOrder('oak', 3);
    store.createOrder('pine', 2);
    store.setStatus(first, 'shipped');
    const copy = SimStore.fromSnapshot(JSON.parse(JSON.stringify(store.snapshot())));
    expect([...copy.orders.values()]).toEqual([...store.orders.values()]);
    expect(copy.countByStatus()).toEqual(store.countByStatus());
    expect(copy.stock).toEqual(store.stock);
    expect(copy.createOrder('elm', 1).id).toBe(3);
  });

  it('refuses what is not a snapshot, saying what does not fit', () => {
    expect(() => SimStore.fromSnapshot({ version: 2 })).toThrow('not a simulator snapshot');
    expect(() =>
      SimStore.fromSnapshot({ version: 1, nextId: 2, stock: {}, orders: [{ id: 1, wood_type: 'oak', quantity: 1 }] }),
    ).toThrow(/order .* is not an order/);
  });

  it('lets `sim` stop and start again where it was, instead of seeding anew', async () => {
    const file = scratch();
    const [orderPort, stockPort] = [await freePort(), await freePort()];
    const env = {
      PATH: process.env.PATH,
      SIM_DATA_FILE: file,
      SIM_ORDERS: '5',
      SIM_ERROR_RATE: '0',
      SIM_STOCK: 'oak=50',
      SIM_ORDER_PORT: String(orderPort),
      SIM_STOCK_PORT: String(stockPort),
      OTEL_SDK_DISABLED: 'true',
    };
    const api = (port: number, path: string, init: { method?: 'PUT' | 'POST'; body?: unknown } = {}) =>
      request(`http://127.0.0.1:${port}${path}`, {
        method: init.method ?? 'GET',
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        headers: { 'content-type': 'application/json' },
      }).then(async (res) => ({ status: res.statusCode, json: (await res.body.json()) as unknown }));
    const listening = (proc: ReturnType<typeof spawnCli>) =>
      waitFor('the simulator to listen', () => proc.output().includes('simulator listening'));

    const first = spawnCli(['sim'], env);
    await listening(first);
    expect(await api(orderPort, '/orders/1', { method: 'PUT', body: { order_status: 'shipped' } })).toMatchObject({
      status: 200,
    });
    expect(
      await api(stockPort, '/stocks/decrease', { method: 'POST', body: { wood_type: 'oak', quantity: 4 } }),
    ).toEqual({
      status: 200,
      json: { wood_type: 'oak', quantity: 46 },
    });
    const before = (await api(orderPort, '/orders/?limit=100')).json;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = spawnCli(['sim'], env);
    await listening(second);
    expect(second.output()).toContain('"message":"simulator state loaded"');
    expect((await api(orderPort, '/orders/?limit=100')).json).toEqual(before);
    expect((await api(stockPort, '/stocks/oak')).json).toEqual({ wood_type: 'oak', quantity: 46 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('stops the simulator on a file it cannot read, naming SIM_DATA_FILE, and leaves the file as it was', async () => {
    const file = scratch();
    writeFileSync(file, '{"orders": [');
    const result = await runCli(['sim'], {
      PATH: process.env.PATH,
      SIM_DATA_FILE: file,
      SIM_ORDER_PORT: '0',
      SIM_STOCK_PORT: '0',
      OTEL_SDK_DISABLED: 'true',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ordermanagement: .*simulator\.json \(SIM_DATA_FILE\) holds no simulator state: /);
    expect(readFileSync(file, 'utf8')).toBe('{"orders": [');
  });
});
