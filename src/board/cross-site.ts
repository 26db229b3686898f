import type { MiddlewareHandler } from 'hono';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a change (POST, PUT, …) that another site's page makes the browser send: basic auth
 * credentials go with every request to the board, so a form elsewhere could replay orders or
 * answer for a person. Browsers say where a request comes from (Sec-Fetch-Site, else Origin);
 * a request that says neither is not a browser's (curl, scripts) and goes on. Hono's `csrf` would
 * refuse those too.
 */
export function refuseCrossSite(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const allowed =
      site !== undefined
        ? site === 'same-origin' || site === 'none'
        : origin === undefined || sameHost(origin, c.req.header('host'));
    if (!allowed) return c.json({ error: 'refused: the request comes from another site' }, 403);
    return next();
  };
}

/** Behind a proxy that ends TLS the scheme differs, so the host is what is compared. */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
