import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Hono } from 'hono';
import type { CycleData, ProcessOrderData } from '../queue/jobs.ts';
import type { Queues } from '../queue/queues.ts';
import type { TraceCarrier } from '../telemetry/tracing.ts';
import { describeCycle } from './cycle-summary.ts';
import { earlierFailuresHook } from './earlier-failures.ts';
import { boardPage } from './offline.ts';

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

/** The system's typefaces, as Bull Board's stylesheet falls back to: nothing is fetched for them. */
const SYSTEM_FONTS = {
  'font-sans': 'system-ui, -apple-system, "Segoe UI", sans-serif',
  'font-mono': 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
};

/**
 * Bull Board (both queues, so a cycle shows with its process-order children) as a Hono app to mount
 * under the base path: cycles listed by what they did, completed jobs without their earlier
 * attempts' failures in red, and a page that loads nothing from other origins.
 */
export function createBullBoardApp(queues: Queues, basePath: string, readOnly: boolean): Hono {
  const options = { readOnlyMode: readOnly, allowRetries: !readOnly };
  const cycles = new BullMQAdapter(queues.cycles, {
    ...options,
    description: 'One job per cycle: fan-out, then outcome counts; cycles that added no order are removed',
  });
  const orders = new BullMQAdapter(queues.orders, { ...options, description: 'One process-order job per order' });
  for (const adapter of [cycles, orders]) adapter.setFormatter('data', formatData);
  cycles.setFormatter('name', describeCycle);
  orders.setFormatter('name', (job: { name: string; data?: { orderId?: number } }) =>
    job.data?.orderId === undefined ? job.name : `${job.name} #${job.data.orderId}`,
  );
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(basePath === '/' ? '' : basePath);
  createBullBoard({
    queues: [cycles, orders],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'ordermanagement',
        hideDocsLink: true,
        miscLinks: [{ text: 'Orders waiting for a person', url: 'orders' }],
        theme: { light: SYSTEM_FONTS, dark: SYSTEM_FONTS },
      },
      handlerHooks: { after: earlierFailuresHook },
    },
  });
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(boardPage(await c.res.text()), { status: c.res.status, headers });
  });
  app.route('/', serverAdapter.registerPlugin());
  return app;
}
