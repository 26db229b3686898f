import { html } from 'hono/html';
import type { DecreaseEntry } from '../../domain/decrease.ts';
import { type BoardPaths, type Html, layout, time } from './layout.ts';

const level = (value: DecreaseEntry['levelBefore']): string => (value === undefined ? '' : String(value));

/**
 * Every order waiting for a person, one row each (a decrease may cover several), oldest first, each
 * linking to its order page where it is answered; then the orders listed registered again after
 * their job completed, which wait for a replay. `error`: a search that could not be followed.
 */
export function waitingPage(
  entries: readonly DecreaseEntry[],
  again: readonly { readonly orderId: number; readonly since: number }[],
  paths: BoardPaths,
  error?: string,
): Html {
  const rows = entries.flatMap((entry) => entry.orders.map((orderId) => ({ orderId, entry })));
  return layout(
    paths,
    'Orders waiting for a person',
    html`${error ? html`<div class="om-answer om-answer-refused" role="alert">${error}</div>` : ''}
<h1>Orders waiting for a person</h1>
<section>
${
  rows.length === 0
    ? html`<p class="om-muted">No order waits for a person.</p>`
    : html`<p class="om-muted">Each decrease below may or may not have taken its stock: check the stock, then answer on the order's page.</p>
<table class="om-waiting">
<tr><th>Order</th><th>Wood type</th><th>Quantity of the decrease</th><th>Level before</th><th>Level found</th><th>Sent</th><th>Decrease</th></tr>
${rows.map(
  ({
    orderId,
    entry,
  }) => html`<tr><td><a href="${paths.order(orderId)}">Order ${orderId}</a></td><td>${entry.woodType}</td>
<td>${entry.quantity}</td><td>${level(entry.levelBefore)}</td><td>${level(entry.levelFound)}</td><td>${time(entry.sentAt)}</td>
<td><code>${entry.id}</code></td></tr>`,
)}
</table>`
}
</section>
${
  again.length === 0
    ? ''
    : html`<section>
<h2>Registered again after their job completed</h2>
<p class="om-muted">Someone set these back to registered, or the Order API lost their status or reused their id: they are not processed again by themselves. Check each, then replay it on its page; the ledger decides whether stock is taken.</p>
<table class="om-waiting">
<tr><th>Order</th><th>Listed registered again since</th></tr>
${again.map(
  ({ orderId, since }) =>
    html`<tr><td><a href="${paths.order(orderId)}">Order ${orderId}</a></td><td>${time(since)}</td></tr>`,
)}
</table>
</section>`
}`,
  );
}
