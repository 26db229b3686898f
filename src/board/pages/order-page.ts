import { html } from 'hono/html';
import type { DecreaseEntry, EntryState } from '../../domain/decrease.ts';
import type { OrderView } from '../order-view.ts';
import { type BoardPaths, type Html, layout, stateBadge } from './layout.ts';

/** What the ledger's states mean for the order's stock: a short name, and a sentence. */
const LEDGER_STATES: Record<EntryState, readonly [string, string]> = {
  taken: ['taken', 'the stock was decreased for this order'],
  refused: ['not taken', 'the Stock API refused the decrease'],
  pending: [
    'in doubt',
    "sent, and no answer yet; the next worker holding the wood type's lock settles it from the level",
  ],
  person: ['waiting for a person', 'the level cannot tell whether the stock was taken'],
  'not-taken': [
    'judged not taken',
    'the level showed the decrease had not happened, and its orders were sent again; flagged if it landed after all',
  ],
};

/** The answer to a button, shown above the page it was pressed on. */
export interface Outcome {
  readonly status: number;
  readonly message: string;
}

export interface OrderPageOptions {
  readonly paths: BoardPaths;
  readonly readOnly: boolean;
  readonly outcome?: Outcome;
}

const words = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** A ledger entry's fields, whatever they are: a new one shows up without a change here. */
function entryValue(paths: BoardPaths, key: string, value: unknown): Html | string {
  if (key === 'orders' && Array.isArray(value)) {
    return html`${value.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="${paths.order(String(id))}">${String(id)}</a>`)}`;
  }
  if (typeof value === 'number' && /At$/.test(key)) return new Date(value).toISOString();
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function entryTable(paths: BoardPaths, entry: DecreaseEntry): Html {
  const rows = Object.entries(entry).filter(([, value]) => value !== undefined && value !== '');
  return html`<table class="om-entry">${rows.map(
    ([key, value]) => html`<tr><th>${words(key)}</th><td>${entryValue(paths, key, value)}</td></tr>`,
  )}</table>`;
}

function orderSection(view: OrderView): Html {
  const { order } = view;
  if ('unknown' in order) return html`<p>The Order API does not know order ${view.orderId}.</p>`;
  if ('error' in order) return html`<p>The Order API could not be asked: <code>${order.error}</code></p>`;
  return html`<p>Status ${stateBadge(order.status)} · ${order.quantity} ${order.woodType}</p>`;
}

function ledgerSection(paths: BoardPaths, view: OrderView): Html {
  const { ledger } = view;
  if (ledger === null) {
    return html`<p class="om-muted">No decrease recorded: none was sent for this order, one was settled as not taken,
or the record is older than LEDGER_KEEP_SECONDS.</p>`;
  }
  const [name, meaning] = LEDGER_STATES[ledger.state] ?? [ledger.state, ''];
  return html`<p>${stateBadge(ledger.state, name)} ${meaning}${
    ledger.outcome ? html` · outcome <strong>${ledger.outcome}</strong>` : ''
  }</p>
${ledger.doubt ? html`<p class="om-doubt">${ledger.doubt}</p>` : ''}
${ledger.entry ? entryTable(paths, ledger.entry) : ''}`;
}

function jobsSection(paths: BoardPaths, view: OrderView): Html {
  const [job, ...cycles] = view.jobs;
  if (job === undefined) {
    return html`<p class="om-muted">No job: the order has not been enqueued, or its job was removed.</p>`;
  }
  return html`<table>
<tr><th>Job</th><th>State</th><th>Attempts</th><th>Result</th><th>Added</th><th>Finished</th></tr>
<tr><td class="om-nowrap"><a href="${paths.job(job.queue, job.id)}">${job.id}</a></td><td>${stateBadge(job.state)}</td><td>${job.attemptsMade}</td>
<td>${job.failedReason ? html`<pre>${job.failedReason}</pre>` : html`<pre>${JSON.stringify(job.returnvalue)}</pre>`}</td>
<td class="om-nowrap">${job.createdAt}</td><td class="om-nowrap">${job.finishedAt ?? ''}</td></tr>
</table>
${cycles.map(
  (cycle) =>
    html`<p>Cycle <a href="${paths.job(cycle.queue, cycle.id)}">${cycle.id}</a> ${stateBadge(cycle.state)}: ${cycle.summary}</p>`,
)}`;
}

function actionsSection(paths: BoardPaths, view: OrderView, readOnly: boolean): Html {
  const disabled = readOnly ? html` disabled` : '';
  const note = readOnly
    ? html`<p class="om-muted">The board is read-only (BOARD_READ_ONLY): replays and answers are off.</p>`
    : '';
  const entry = view.ledger?.state === 'person' ? view.ledger.entry : undefined;
  if (entry !== undefined) {
    return html`${note}<form method="post" action="${paths.replay(view.orderId)}">
<label><input type="checkbox" name="checked" required${disabled}> I checked the ${entry.woodType} stock</label>
<button type="submit" name="assume" value="decreased"${disabled}>It was decreased: set the status only</button>
<button type="submit" name="assume" value="not-decreased" class="om-secondary"${disabled}>It was not decreased: send it again</button>
</form>
<p class="om-muted">The answer settles every order of this decrease (${entry.orders.join(', ')}).</p>`;
  }
  return html`${note}<form method="post" action="${paths.replay(view.orderId)}">
<button type="submit"${disabled}>Replay order ${view.orderId}</button>
<span class="om-muted">A failed job is retried, a finished one replaced, one in flight left alone; the ledger keeps the stock from being taken twice.</span>
</form>`;
}

/** One order: the Order API's record, its decrease, its jobs and cycle, and the buttons the CLI's replay offers. */
export function orderPage(view: OrderView, { paths, readOnly, outcome }: OrderPageOptions): Html {
  return layout(
    paths,
    `Order ${view.orderId}`,
    html`<h1>Order ${view.orderId}</h1>
${
  outcome
    ? html`<div class="om-answer ${outcome.status < 300 ? 'om-answer-ok' : 'om-answer-refused'}" role="status">${outcome.message}</div>`
    : ''
}
<section><h2>Order</h2>${orderSection(view)}</section>
<section><h2>Stock decrease</h2>${ledgerSection(paths, view)}</section>
<section class="om-actions"><h2>Actions</h2>${actionsSection(paths, view, readOnly)}</section>
<section><h2>Jobs</h2>${jobsSection(paths, view)}</section>`,
  );
}
