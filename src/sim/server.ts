import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isOrderStatus, isWoodType } from '../domain/order.ts';
import { BodyTooLarge } from '../errors.ts';
import { listen } from '../listen.ts';
import type { Random } from '../random.ts';
import { type CapacityModel, type RequestKind, SharedProcessor } from './capacity.ts';
import { parseJsonBody, parsePaging, readBody, sendHtmlError, sendJson } from './http.ts';
import type { SimStore } from './store.ts';

/**
 * Fault knobs, read on every request: a test may change them while the simulator runs.
 */
export interface SimFaults {
  /** Probability that a handler fails on purpose before touching anything (the services' ERROR_RATE). */
  errorRate: number;
  /** Extra probability that PUT /orders/<id> fails before touching anything. */
  statusUpdateErrorRate?: number;
  /** The status of those failures: 502 (default) as the simulated ones, or e.g. 403 as a misconfigured proxy would. */
  statusUpdateErrorStatus?: number;
  /** Delay added to every answer, in ms. */
  latencyMs?: number;
  /**
   * Decrease like the reference Stock API: read, wait, write back, so concurrent decreases of one
   * wood type lose updates. Off by default: the simulator decreases atomically.
   */
  nonAtomic?: boolean;
  /** Decreases are read, then wait this long before they are applied: a client that gives up first cannot tell. */
  decreaseLatencyMs?: number;
  /** Decreases take effect, then their answer waits this long: a client that times out cannot tell. */
  decreaseAnswerDelayMs?: number;
  /**
   * Probability that a decrease takes effect and then answers 500 "Unexpected error during stock
   * decrease", as the reference service does when its refresh after the commit fails.
   */
  decreaseFailAfterCommitRate?: number;
  /** Probability that a decrease takes effect and then the connection is cut before any answer. */
  decreaseResetAfterCommitRate?: number;
  /** Honour Idempotency-Key on decrease (default). Off, it behaves like the reference service, which ignores it. */
  honourIdempotencyKey?: boolean;
  /**
   * Serve requests with the reference services' capacity (see capacity.ts): each API works on its
   * requests in flight at once, sharing one service time. Absent: answers at once, as fast as Node can.
   */
  capacity?: CapacityModel;
}

export interface SimulatorOptions extends SimFaults {
  readonly store: SimStore;
  readonly random: Random;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly orderPort?: number;
  readonly stockPort?: number;
}

export interface Simulator {
  readonly orderUrl: string;
  readonly stockUrl: string;
  close(): Promise<void>;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly options: SimulatorOptions;
  /** Spends service time of this API on the request (nothing without a capacity model). */
  readonly work: (ms: number) => Promise<void>;
}

/** Fails at once with the reference service's answer, with probability errorRate. */
function simulatedFailure(ctx: Ctx, status: 500 | 502, error: string): boolean {
  if (ctx.options.random() >= ctx.options.errorRate) return false;
  sendJson(ctx.res, status, { error });
  return true;
}

async function jsonBody(ctx: Ctx): Promise<unknown> {
  return parseJsonBody(await readBody(ctx.req));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

async function handleOrders(ctx: Ctx): Promise<void> {
  const { req, res, url, options } = ctx;
  const { store } = options;
  const path = url.pathname;
  if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { service: 'order', status: 'healthy' });
  if (path === '/orders') {
    res.writeHead(308, { location: `/orders/${url.search}` });
    return void res.end();
  }
  const byStatus = /^\/orders\/status\/([^/]+)$/.exec(path);
  if (byStatus && req.method === 'GET') {
    if (simulatedFailure(ctx, 502, 'Simulated API error during order listing by status')) return;
    const status = decodeURIComponent(byStatus[1] as string);
    if (!isOrderStatus(status)) return sendJson(res, 400, { error: `Invalid status: ${status}` });
    const paging = parsePaging(url);
    if (!paging) return sendJson(res, 400, { error: 'skip and limit must be integers' });
    return sendJson(res, 200, store.listByStatus(status, paging.skip, paging.limit));
  }
  if (path === '/orders/') {
    if (req.method === 'GET') {
      if (simulatedFailure(ctx, 502, 'Simulated API error during order listing')) return;
      const paging = parsePaging(url);
      if (!paging) return sendJson(res, 400, { error: 'skip and limit must be integers' });
      return sendJson(res, 200, store.listAll(paging.skip, paging.limit));
    }
    if (req.method === 'POST') {
      if (simulatedFailure(ctx, 500, 'Simulated DB insertion error')) return;
      const body = await jsonBody(ctx);
      if (body instanceof Error || !isRecord(body)) return sendHtmlError(res, 400);
      const { wood_type: woodType, quantity } = body;
      if (!isWoodType(woodType) || !Number.isSafeInteger(quantity)) return sendHtmlError(res, 500);
      return sendJson(res, 201, store.createOrder(woodType, quantity as number));
    }
    return sendHtmlError(res, 405);
  }
  const byId = /^\/orders\/(\d+)$/.exec(path);
  if (byId) {
    const order = store.orders.get(Number(byId[1]));
    if (req.method === 'GET') {
      store.orderReads += 1;
      if (simulatedFailure(ctx, 502, 'Simulated API error during order retrieval')) return;
      return order ? sendJson(res, 200, order) : sendJson(res, 404, { error: 'Order not found' });
    }
    if (req.method === 'PUT') {
      store.orderWrites += 1;
      if (simulatedFailure(ctx, 502, 'Simulated API error during order status update')) return;
      if (options.random() < (options.statusUpdateErrorRate ?? 0)) {
        store.statusUpdateFailures.push({ orderId: Number(byId[1]), decreasesSoFar: store.decreaseLog.length });
        return sendJson(res, options.statusUpdateErrorStatus ?? 502, {
          error: 'Simulated API error during order status update',
        });
      }
      const body = await jsonBody(ctx);
      if (body instanceof Error || body === undefined) return sendHtmlError(res, 400);
      if (!order) return sendJson(res, 404, { error: 'Order not found' });
      if (!isRecord(body) || !('order_status' in body)) {
        return sendJson(res, 400, { error: "Missing 'order_status' in request body" });
      }
      if (!isOrderStatus(body.order_status)) return sendJson(res, 400, { error: 'Invalid order status' });
      store.setStatus(order, body.order_status);
      return sendJson(res, 200, order);
    }
    return sendHtmlError(res, 405);
  }
  return sendHtmlError(res, 404);
}

async function decrease(ctx: Ctx): Promise<void> {
  const { res, options } = ctx;
  const { store } = options;
  if (simulatedFailure(ctx, 500, 'Simulated DB error during stock decrease')) return;
  const key = ctx.req.headers['idempotency-key'];
  const idempotencyKey =
    typeof key === 'string' && key !== '' && options.honourIdempotencyKey !== false ? key : undefined;
  const earlier = idempotencyKey === undefined ? undefined : store.decreases.get(idempotencyKey);
  if (earlier) return sendJson(res, earlier.status, earlier.body);
  const answer = await decide(ctx);
  if (answer === undefined) return;
  if (idempotencyKey !== undefined) store.decreases.set(idempotencyKey, answer);
  if (options.decreaseAnswerDelayMs) await sleep(options.decreaseAnswerDelayMs);
  if (answer.status === 200 && options.random() < (options.decreaseResetAfterCommitRate ?? 0)) {
    return void ctx.req.socket.destroy();
  }
  if (answer.status === 200 && options.random() < (options.decreaseFailAfterCommitRate ?? 0)) {
    return sendJson(res, 500, { error: 'Unexpected error during stock decrease' });
  }
  sendJson(res, answer.status, answer.body);
}

async function decide(ctx: Ctx): Promise<{ status: number; body: unknown } | undefined> {
  const { store, nonAtomic, decreaseLatencyMs } = ctx.options;
  const body = await jsonBody(ctx);
  // Read, then slow to handle: the request is applied even if its client gave up meanwhile.
  if (decreaseLatencyMs) await sleep(decreaseLatencyMs);
  if (body instanceof Error) {
    sendHtmlError(ctx.res, 400);
    return undefined;
  }
  if (body === undefined) return { status: 400, body: { error: 'Missing request body' } };
  const { wood_type: woodType, quantity } = isRecord(body) ? body : {};
  if (typeof woodType !== 'string' || !Number.isSafeInteger(quantity) || (quantity as number) <= 0) {
    return { status: 400, body: { error: 'Invalid input' } };
  }
  const { now, most } = store.decreasesInFlight;
  now.set(woodType, (now.get(woodType) ?? 0) + 1);
  most.set(woodType, Math.max(most.get(woodType) ?? 0, now.get(woodType) ?? 0));
  try {
    const level = store.stock.get(woodType);
    if (level === undefined) return { status: 404, body: { error: 'Stock not found' } };
    if (level < (quantity as number)) return { status: 400, body: { error: 'Insufficient stock' } };
    // The reference service reads, then writes back without a lock; yielding in between lets
    // concurrent decreases of the same wood type overwrite each other, as they do there.
    if (nonAtomic)
      await (ctx.options.capacity ? ctx.work(serviceTime(ctx.options.capacity, 'decrease') / 2) : sleep(1));
    const next = (nonAtomic ? level : (store.stock.get(woodType) as number)) - (quantity as number);
    store.stock.set(woodType, next);
    store.recordDecrease(ctx.req.headers['idempotency-key'], woodType, quantity as number);
    return { status: 200, body: { wood_type: woodType, quantity: next } };
  } finally {
    now.set(woodType, (now.get(woodType) ?? 1) - 1);
  }
}

async function handleStocks(ctx: Ctx): Promise<void> {
  const { req, res, url, options } = ctx;
  const { store } = options;
  const path = url.pathname;
  if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { service: 'stock', status: 'healthy' });
  if (path === '/stocks/decrease') return req.method === 'POST' ? decrease(ctx) : sendHtmlError(res, 405);
  if (path === '/stocks') {
    res.writeHead(308, { location: `/stocks/${url.search}` });
    return void res.end();
  }
  if (path === '/stocks/') {
    if (req.method === 'GET') {
      if (simulatedFailure(ctx, 502, 'Simulated API error during stock listing')) return;
      const paging = parsePaging(url);
      if (!paging) return sendJson(res, 400, { error: 'skip and limit must be integers' });
      const rows = [...store.stock].map(([woodType, quantity]) => ({ wood_type: woodType, quantity }));
      return sendJson(res, 200, rows.slice(paging.skip, paging.skip + paging.limit));
    }
    if (req.method === 'POST') {
      if (simulatedFailure(ctx, 500, 'Simulated DB error during stock creation')) return;
      const body = await jsonBody(ctx);
      if (body instanceof Error) return sendHtmlError(res, 400);
      if (body === undefined) return sendJson(res, 400, { error: 'Missing request body' });
      const { wood_type: woodType, quantity } = isRecord(body) ? body : {};
      if (!isWoodType(woodType) || !Number.isSafeInteger(quantity) || (quantity as number) <= 0) {
        return sendJson(res, 400, { error: 'Invalid input' });
      }
      return sendJson(res, 201, { wood_type: woodType, quantity: store.addStock(woodType, quantity as number) });
    }
    return sendHtmlError(res, 405);
  }
  const byType = /^\/stocks\/([^/]+)$/.exec(path);
  if (byType && req.method === 'GET') {
    if (simulatedFailure(ctx, 502, 'Simulated API error during stock retrieval')) return;
    const woodType = decodeURIComponent(byType[1] as string);
    const level = store.stock.get(woodType);
    return level === undefined
      ? sendJson(res, 404, { error: 'Stock not found' })
      : sendJson(res, 200, { wood_type: woodType, quantity: level });
  }
  return sendHtmlError(res, 404);
}

/** What a request costs a capacity-modelled API: the reference services' handlers by kind. */
function requestKind(method: string | undefined, path: string): RequestKind {
  if (path === '/stocks/decrease') return 'decrease';
  if (path.startsWith('/orders/status/') || path === '/orders/' || path === '/stocks/')
    return method === 'GET' ? 'list' : 'write';
  return method === 'GET' ? 'read' : 'write';
}

/** Service time of a request; a list request's grows with the elements it returns. */
function serviceTime(capacity: CapacityModel, kind: RequestKind, listed = 0): number {
  const times = capacity.serviceMs;
  return kind === 'list' ? times.list + times.listItem * listed : times[kind];
}

/** How many elements a list request returns, computed before it is served. */
function listLength(store: SimStore, url: URL): number {
  const paging = parsePaging(url);
  if (!paging) return 0;
  const status = decodeURIComponent(url.pathname.slice('/orders/status/'.length));
  const total = url.pathname.startsWith('/orders/status/')
    ? isOrderStatus(status)
      ? store.countOf(status)
      : 0
    : url.pathname === '/orders/'
      ? store.orders.size
      : store.stock.size;
  return Math.max(0, Math.min(paging.limit, total - paging.skip));
}

function serve(handler: (ctx: Ctx) => Promise<void>, options: SimulatorOptions): Server {
  const { capacity } = options;
  const processor = capacity ? new SharedProcessor(capacity) : undefined;
  const work = (ms: number) => processor?.serve(ms) ?? Promise.resolve();
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const { listings } = options.store;
    const listing = url.pathname.startsWith('/orders/status/');
    const run = async () => {
      if (listing) {
        listings.total += 1;
        listings.inFlight += 1;
        listings.maxInFlight = Math.max(listings.maxInFlight, listings.inFlight);
        res.once('close', () => {
          listings.inFlight -= 1;
        });
      }
      if (options.latencyMs) await sleep(options.latencyMs);
      if (capacity) {
        // The reference services' server (Werkzeug) closes every connection after its answer.
        res.setHeader('connection', 'close');
        const kind = requestKind(req.method, url.pathname);
        const time = serviceTime(capacity, kind, kind === 'list' ? listLength(options.store, url) : 0);
        // A non-atomic decrease spends the rest between reading the level and writing it back.
        await work(kind === 'decrease' && options.nonAtomic ? time / 2 : time);
      }
      await handler({ req, res, url, options, work });
    };
    run().catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof BodyTooLarge) return sendJson(res, 413, { error: 'Request body too large' });
      sendHtmlError(res, 500);
    });
  });
}

/** Starts the Order API and the Stock API of the contract on two ports, over one in-memory store. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const orders = serve(handleOrders, options);
  const stocks = serve(handleStocks, options);
  const orderApi = await listen(orders, host, options.orderPort ?? 0, 'SIM_ORDER_PORT');
  const stockApi = await listen(stocks, host, options.stockPort ?? 0, 'SIM_STOCK_PORT').catch(
    async (error: unknown) => {
      await orderApi.close();
      throw error;
    },
  );
  return {
    orderUrl: orderApi.url,
    stockUrl: stockApi.url,
    async close() {
      await Promise.all([orderApi.close(), stockApi.close()]);
    },
  };
}
