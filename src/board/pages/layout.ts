import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { jobLink } from '../order-view.ts';

/** Where the board's pages are, under its base path ('' at the root). */
export interface BoardPaths {
  readonly base: string;
  /** Bull Board's own page. */
  readonly board: string;
  readonly stylesheet: string;
  /** Bull Board's, which it serves: a page without one makes the browser ask for /favicon.ico. */
  readonly icon: string;
  /** Orders waiting for a person, and the search. */
  readonly orders: string;
  order(id: number | string): string;
  replay(id: number | string): string;
  job(queue: string, id: string): string;
}

export function boardPaths(basePath: string): BoardPaths {
  const base = basePath === '/' ? '' : basePath;
  return {
    base,
    board: base === '' ? '/' : base,
    stylesheet: `${base}/ordermanagement.css`,
    icon: `${base}/static/images/logo.svg`,
    orders: `${base}/orders`,
    order: (id) => `${base}/orders/${encodeURIComponent(id)}`,
    replay: (id) => `${base}/orders/${encodeURIComponent(id)}/replay`,
    job: (queue, id) => jobLink(basePath, queue, id),
  };
}

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Every value is escaped by `html`: order data, job data and failures are shown as text, never as markup. */
export function layout(paths: BoardPaths, title: string, main: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · ordermanagement</title>
<link rel="stylesheet" href="${paths.stylesheet}">
<link rel="icon" type="image/svg+xml" href="${paths.icon}">
</head>
<body class="om-page">
<header>
<a class="om-title" href="${paths.board}">ordermanagement</a>
<nav><a href="${paths.board}">Bull Board</a><a href="${paths.orders}">Orders waiting for a person</a></nav>
<form action="${paths.orders}" method="get" role="search">
<input name="id" aria-label="Order id" placeholder="Order id" inputmode="numeric" autocomplete="off" required>
<button type="submit">Find order</button>
</form>
</header>
<main>
${main}
</main>
</body>
</html>`;
}

/** A state as a coloured label; `name` when the state's own word says too little. */
export const stateBadge = (state: string, name = state): Html =>
  html`<span class="om-state om-state-${state}">${name}</span>`;

export const time = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());
