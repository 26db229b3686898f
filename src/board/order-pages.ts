import { type Context, Hono } from 'hono';
import { parseOrderId } from '../domain/order.ts';
import { InvalidPayloadError } from '../errors.ts';
import { registeredAgain } from '../queue/listing.ts';
import { type OrderRoutesDeps, replayRoute } from './order-api-routes.ts';
import { readOrderView } from './order-view.ts';
import { boardPaths } from './pages/layout.ts';
import { orderPage } from './pages/order-page.ts';
import { STYLESHEET } from './pages/style.ts';
import { waitingPage } from './pages/waiting-page.ts';

/**
 * The board's own pages beside Bull Board: the orders waiting for a person with the search box, and
 * one page per order whose buttons replay it or answer for it through the API's code path.
 */
export function orderPages(deps: OrderRoutesDeps): Hono {
  const paths = boardPaths(deps.basePath);
  const app = new Hono();

  const waiting = async (error?: string) =>
    waitingPage(await deps.ledger.waitingForPerson(), await registeredAgain(deps.queues), paths, error);

  /** The id, or the waiting list again with what is wrong with it (400). */
  const withOrderId = async (c: Context, raw: string, then: (orderId: number) => Promise<Response>) => {
    let orderId: number;
    try {
      orderId = parseOrderId(raw.trim());
    } catch (error) {
      if (!(error instanceof InvalidPayloadError)) throw error;
      return c.html(await waiting(`${JSON.stringify(raw)}: ${error.message}`), 400);
    }
    return then(orderId);
  };

  app.get('/ordermanagement.css', (c) =>
    c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/orders', async (c) => {
    const id = c.req.query('id');
    if (id !== undefined) return withOrderId(c, id, async (orderId) => c.redirect(paths.order(orderId), 303));
    return c.html(await waiting());
  });
  app.get('/orders/:id', (c) =>
    withOrderId(c, c.req.param('id'), async (orderId) =>
      c.html(orderPage(await readOrderView(deps, orderId), { paths, readOnly: deps.readOnly })),
    ),
  );
  app.post('/orders/:id/replay', (c) =>
    withOrderId(c, c.req.param('id'), async (orderId) => {
      const form = await c.req.parseBody();
      const assume = typeof form.assume === 'string' && form.assume !== '' ? form.assume : undefined;
      const { status, body } = await replayRoute(deps, String(orderId), assume);
      const message = String(body.message ?? body.error);
      const view = await readOrderView(deps, orderId);
      return c.html(orderPage(view, { paths, readOnly: deps.readOnly, outcome: { status, message } }), status);
    }),
  );
  return app;
}
