import type { secureHeaders } from 'hono/secure-headers';

type ContentSecurityPolicy = NonNullable<NonNullable<Parameters<typeof secureHeaders>[0]>['contentSecurityPolicy']>;

/**
 * The board works offline and leaks nothing to third parties: every page may load only from its
 * own origin. Bull Board's page and React set inline styles, hence 'unsafe-inline' for styles
 * only; no inline script runs (its configuration block is JSON data, which is not executed).
 */
export const CONTENT_SECURITY_POLICY: ContentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'self'"],
};

/** Any `<link>` to another origin (Bull Board's page asks Google Fonts for its typeface). */
const THIRD_PARTY_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>\s*/gi;

/** The board's own search box, on every Bull Board page; its form needs no script. */
const SEARCH = `<form class="om-search" action="orders" method="get" role="search">
<input name="id" aria-label="Order id" placeholder="Order id" inputmode="numeric" autocomplete="off" required>
<button type="submit">Find order</button>
<a href="orders">Orders waiting for a person</a>
</form>`;

/**
 * Bull Board's page as the board serves it: without links to other origins (the typeface falls back
 * to the system's, as Bull Board's stylesheet says), with the project's stylesheet and a search box
 * for order ids. Links resolve against the page's `<base href>`, the board's base path. Pure.
 */
export function boardPage(html: string): string {
  return html
    .replace(THIRD_PARTY_LINK, '')
    .replace('</head>', '<link href="ordermanagement.css" rel="stylesheet"></head>')
    .replace(/<body\b[^>]*>/, (body) => `${body}\n${SEARCH}`);
}
