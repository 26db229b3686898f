import diagnosticsChannel from 'node:diagnostics_channel';
import { onTestFinished } from 'vitest';

export interface SentRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case, as they went on the wire. */
  readonly headers: ReadonlyMap<string, string>;
}

interface SendHeadersMessage {
  request: { method: string; path: string };
  headers: string;
}

/** Every request this process's undici sends during the test, headers as written to the socket. */
export function recordSentRequests(): SentRequest[] {
  const sent: SentRequest[] = [];
  const listener = (message: unknown) => {
    const { request, headers } = message as SendHeadersMessage;
    const pairs = headers
      .split('\r\n')
      .slice(1)
      .filter((line) => line.includes(':'))
      .map((line) => {
        const at = line.indexOf(':');
        return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()] as const;
      });
    sent.push({ method: request.method, path: request.path, headers: new Map(pairs) });
  };
  diagnosticsChannel.subscribe('undici:client:sendHeaders', listener);
  onTestFinished(() => {
    diagnosticsChannel.unsubscribe('undici:client:sendHeaders', listener);
  });
  return sent;
}
