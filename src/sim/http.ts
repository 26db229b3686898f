import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge } from '../errors.ts';
import { MAX_BODY_BYTES } from '../listen.ts';

export async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'The browser (or proxy) sent a request that this server could not understand.'],
  404: ['Not Found', 'The requested URL was not found on the server.'],
  405: ['Method Not Allowed', 'The method is not allowed for the requested URL.'],
  500: ['Internal Server Error', 'The server encountered an internal error and was unable to complete your request.'],
};

/** The reference services are Flask apps: framework-level errors come back as these HTML pages. */
export function sendHtmlError(res: ServerResponse, status: 400 | 404 | 405 | 500): void {
  const [title, text] = TITLES[status] as [string, string];
  const html = `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${text}</p>\n`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

/** Parses a JSON body; `undefined` for an empty one, `Error` for one that is not JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    return error as Error;
  }
}

const INT = /^-?\d+$/;

/** `skip` and `limit` as the reference services read them: integers, `limit` 10 when absent. */
export function parsePaging(url: URL): { skip: number; limit: number } | undefined {
  const skip = url.searchParams.get('skip') ?? '0';
  const limit = url.searchParams.get('limit') ?? '10';
  if (!INT.test(skip) || !INT.test(limit)) return undefined;
  return { skip: Math.max(0, Number(skip)), limit: Math.max(0, Number(limit)) };
}
