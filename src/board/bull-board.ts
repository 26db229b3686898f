import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Hono } from 'hono';
import type { CycleData, ProcessOrderData } from '../queue/jobs.ts';
import type { Queues } from '../queue/queues.ts';
import type { TraceCarrier } from '../telemetry/tracing.ts';

/** The trace id alone: what a person pastes into Tempo; the raw W3C header says less. */
function traceId(carrier: TraceCarrier | undefined): string | undefined {
  return carrier ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier))?.traceId : undefined;
}

/** Shows job data as people read it: ids and steps, trace ids instead of propagation headers. */
function formatData(data: Partial<ProcessOrderData & CycleData>): Record<string, unknown> {
  const { trace: carrier, replayOf, ...rest } = data;
  const id = traceId(carrier);
  const original = traceId(replayOf);
  return { ...rest, ...(id ? { traceId: id } : {}), ...(original ? { replayOfTraceId: original } : {}) };
}

/** Bull Board (both queues, so a cycle shows with its process-order children) as a node:http listener. */
export function createBullBoardListener(queues: Queues, basePath: string, readOnly: boolean) {
  const options = { readOnlyMode: readOnly, allowRetries: !readOnly };
  const cycles = new BullMQAdapter(queues.cycles, {
    ...options,
    description: 'One job per cycle: fan-out, then outcome counts',
  });
  const orders = new BullMQAdapter(queues.orders, { ...options, description: 'One process-order job per order' });
  for (const adapter of [cycles, orders]) {
    adapter.setFormatter('data', formatData);
    adapter.setFormatter('name', (job: { name: string; data?: { orderId?: number } }) =>
      job.data?.orderId === undefined ? job.name : `${job.name} #${job.data.orderId}`,
    );
  }
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(basePath === '/' ? '' : basePath);
  createBullBoard({
    queues: [cycles, orders],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ordermanagement' } },
  });
  const app = new Hono();
  app.route(basePath, serverAdapter.registerPlugin());
  return getRequestListener(app.fetch);
}
