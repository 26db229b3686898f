import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import winston from 'winston';
import { TestReader } from '../helpers/metric-reader.ts';

// The SDK starts before the application's modules are imported, as in the preload. (Vitest loads
// CommonJS dependencies such as ioredis through require, which the SDK patches without the ESM
// hook; the preload's real ESM path is checked by otlp.test.ts in a child process.)
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
const reader = new TestReader();
const { startTelemetry, shutdownTelemetry } = await import('../../src/telemetry/sdk.ts');
startTelemetry({ spanProcessors: [processor], metricReaders: [reader] });
const { CYCLE_JOB, orderJobId } = await import('../../src/queue/jobs.ts');
const { replayOrder } = await import('../../src/queue/replay.ts');
const { createUpstream } = await import('../../src/clients/upstream.ts');
const { createLogger } = await import('../../src/logger.ts');
const { startPipeline, startSim, testConfig } = await import('../helpers/pipeline.ts');
const { waitFor } = await import('../helpers/wait.ts');
const { recordSentRequests } = await import('../helpers/sent-headers.ts');

afterEach(() => exporter.reset());
afterAll(() => shutdownTelemetry());

const STOCK = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };
const scope = (span: ReadableSpan) => span.instrumentationScope.name;
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

async function runCycles(count: number, orders: number, env: Record<string, string> = {}, lines: string[] = []) {
  const h = await startSim({ orders, stock: STOCK });
  onTestFinished(() => h.sim.close());
  const config = testConfig(h.sim, env);
  const capture = new winston.transports.Stream({
    stream: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const p = await startPipeline(config, createLogger('info', {}, [capture]));
  onTestFinished(() => p.close());
  for (let i = 0; i < count; i++) {
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the cycle to complete', async () => (await p.queues.cycles.getJob(cycle.id as string))?.finishedOn);
  }
  await processor.forceFlush();
  return { h, spans: exporter.getFinishedSpans() };
}

async function counter(name: string): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  const points = (metric?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: unknown }[];
  return Object.fromEntries(points.map((p) => [String(p.attributes.outcome ?? p.attributes.result), Number(p.value)]));
}

describe('one trace per cycle', () => {
  it('holds the cycle, the order list GET, each order with its decrease and status calls, and Redis calls', async () => {
    const lines: string[] = [];
    const sent = recordSentRequests();
    const { spans } = await runCycles(1, 3, {}, lines);
    const cycleSpans = spans.filter((s) => s.name === 'process cycles');
    expect(cycleSpans.length).toBeGreaterThanOrEqual(1);
    const traceId = cycleSpans[0]?.spanContext().traceId;
    expect(cycleSpans.every((s) => s.spanContext().traceId === traceId)).toBe(true);
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);

    const list = inTrace.filter(
      (s) => s.name === 'GET' && String(s.attributes['url.path']).startsWith('/orders/status/registered'),
    );
    expect(list).toHaveLength(1);
    const sends = inTrace.filter((s) => s.name === 'send orders');
    expect(sends).toHaveLength(1);
    expect(sends[0]?.kind).toBe(SpanKind.PRODUCER);
    expect(sends[0]?.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'orders',
    });
    // A page costs two Redis round trips, whatever its size: the listing script (one span: EVALSHA, and
    // an EVAL too when the server does not have the script yet) and the bulk add (the send span itself).
    const sendCalls = inTrace.filter(
      (s) => parentId(s) === sends[0]?.spanContext().spanId && scope(s) === '@opentelemetry/instrumentation-ioredis',
    );
    expect(['evalsha', 'evalsha eval']).toContain(sendCalls.map((s) => s.name).join(' '));

    const orders = inTrace.filter((s) => s.name === 'process orders');
    expect(orders).toHaveLength(3);
    for (const order of orders) {
      expect(parentId(order)).toBe(sends[0]?.spanContext().spanId);
      expect(order.kind).toBe(SpanKind.CONSUMER);
      expect(order.attributes).toMatchObject({
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': 'orders',
        'order.outcome': 'shipped',
        'job.attempt': 1,
      });
      expect(order.attributes['messaging.message.id']).toBe(`order-${order.attributes['order.id']}`);
      const calls = inTrace.filter((s) => parentId(s) === order.spanContext().spanId);
      // The request that took its stock (perhaps for other orders too) is one span, linked both ways.
      const decrease = spans.find(
        (s) =>
          s.name.startsWith('decrease ') &&
          s.links.some((l) => l.context.spanId === order.spanContext().spanId) &&
          order.links.some((l) => l.context.spanId === s.spanContext().spanId),
      );
      expect(decrease?.attributes).toMatchObject({ 'ordermanagement.wood_type': order.attributes['order.wood_type'] });
      const posts = spans.filter((s) => parentId(s) === decrease?.spanContext().spanId && s.name === 'POST');
      expect(posts.map((s) => s.attributes['url.path'])).toEqual(['/stocks/decrease']);
      const puts = calls.filter((s) => s.name === 'PUT');
      expect(puts).toHaveLength(1);
      // The Order API is told the trace: the request carries its own span as the parent, sampled.
      const put = sent.find((r) => r.method === 'PUT' && r.path === puts[0]?.attributes['url.path']);
      expect(put?.headers.get('traceparent')).toBe(`00-${traceId}-${puts[0]?.spanContext().spanId}-01`);
      expect(calls.some((s) => scope(s) === '@opentelemetry/instrumentation-ioredis')).toBe(true);
    }

    const redis = inTrace.filter((s) => scope(s) === '@opentelemetry/instrumentation-ioredis');
    expect(redis.length).toBeGreaterThan(0);
    // Statements name scripts and keys; job payloads (order ids, trace context) never appear.
    for (const span of redis) {
      expect(String(span.attributes['db.query.text'] ?? span.attributes['db.statement'])).not.toMatch(
        /orderId|traceparent/,
      );
    }

    const statusLines = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'order status set');
    expect(statusLines).toHaveLength(3);
    expect(statusLines.every((l) => l.trace_id === traceId && typeof l.span_id === 'string')).toBe(true);
  });

  it('gives two cycles two traces', async () => {
    const { spans } = await runCycles(2, 2);
    const traces = new Set(spans.filter((s) => s.name === 'process cycles').map((s) => s.spanContext().traceId));
    expect(traces.size).toBe(2);
  });

  it('links each order to its cycle instead of joining it with TRACE_ORDERS=link', async () => {
    const { spans } = await runCycles(1, 2, { TRACE_ORDERS: 'link' });
    const send = spans.find((s) => s.name === 'send orders');
    const orders = spans.filter((s) => s.name === 'process orders');
    expect(orders).toHaveLength(2);
    for (const order of orders) {
      expect(order.spanContext().traceId).not.toBe(send?.spanContext().traceId);
      expect(order.links.map((l) => l.context.spanId)).toContain(send?.spanContext().spanId);
    }
  });
});

describe('replays', () => {
  it('start their own trace, linked to the trace of the job they replace', async () => {
    const h = await startSim(
      { orders: 1, stock: STOCK },
      { errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403 },
    );
    onTestFinished(() => h.sim.close());
    const p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '1' }));
    onTestFinished(() => p.close());
    const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
    await waitFor('the cycle to complete', async () => (await p.queues.cycles.getJob(cycle.id as string))?.finishedOn);
    await processor.forceFlush();
    const original = exporter.getFinishedSpans().find((s) => s.name === 'process orders');
    expect(original?.status.code).toBe(SpanStatusCode.ERROR);

    h.options.statusUpdateErrorRate = 0;
    const upstream = createUpstream(p.config);
    onTestFinished(() => upstream.close());
    expect((await replayOrder({ orderApi: upstream.orderApi, queues: p.queues, ledger: p.ledger }, '1')).result).toBe(
      'retried',
    );
    await waitFor('the replayed job to complete', async () => {
      const job = await p.queues.orders.getJob(orderJobId(1));
      return (await job?.getState()) === 'completed';
    });
    await processor.forceFlush();
    const replayed = exporter
      .getFinishedSpans()
      .filter((s) => s.name === 'process orders')
      .find((s) => s.spanContext().traceId !== original?.spanContext().traceId);
    expect(replayed?.attributes['order.outcome']).toBe('shipped');
    expect(replayed?.links.map((l) => l.context.traceId)).toEqual([original?.spanContext().traceId]);
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send orders' && s.attributes['order.id'] === 1);
    expect(send?.spanContext().traceId).toBe(replayed?.spanContext().traceId);
  });
});

describe('failures in traces and metrics', () => {
  it('marks failed attempts ERROR with an exception event and the attempt number', async () => {
    const before = await counter('ordermanagement.job.attempts');
    const { h, spans } = await runCycles(1, 2, { ERROR_RATE: '1', RETRY_ATTEMPTS: '2', RETRY_BACKOFF_MS: '1' });
    expect(h.store.countByStatus().blocked).toBe(2);
    const orders = spans.filter((s) => s.name === 'process orders');
    expect(orders).toHaveLength(4);
    for (const span of orders) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.events.some((e) => e.name === 'exception')).toBe(true);
      expect(String(span.events[0]?.attributes?.['exception.message'])).toContain(
        'Simulated external API or DB failure',
      );
    }
    expect(orders.map((s) => s.attributes['job.attempt']).sort()).toEqual([1, 1, 2, 2]);
    const after = await counter('ordermanagement.job.attempts');
    expect((after.retry ?? 0) - (before.retry ?? 0)).toBe(2);
  });

  it('counts orders by outcome', async () => {
    const before = await counter('ordermanagement.orders.processed');
    const { h } = await runCycles(1, 12);
    const after = await counter('ordermanagement.orders.processed');
    expect((after.shipped ?? 0) - (before.shipped ?? 0)).toBe(h.store.countByStatus().shipped);
    expect(h.store.countByStatus().shipped).toBe(12);
  });
});
