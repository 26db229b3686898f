import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './cleanup.ts';

export interface OtlpCounts {
  requests: number;
  bytes: number;
  /** `"spanId"` occurrences in trace exports (JSON): spans, plus links if any; no full parse on the hot path. */
  spans: number;
  metricExports: number;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT; exporters add /v1/traces and /v1/metrics. */
  readonly url: string;
  /** Returns the counts since the last take and starts afresh. */
  take(): OtlpCounts;
}

const SPAN_ID = Buffer.from('"spanId"');

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** What an OpenTelemetry Collector would be to the workers: accepts OTLP/HTTP posts, answers 200, keeps counts. */
export async function startOtlpReceiver(cleanup: Cleanup): Promise<OtlpReceiver> {
  let counts: OtlpCounts = { requests: 0, bytes: 0, spans: 0, metricExports: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      counts.requests += 1;
      counts.bytes += body.length;
      if (req.url === '/v1/traces') counts.spans += occurrences(body, SPAN_ID);
      if (req.url === '/v1/metrics') counts.metricExports += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add('OTLP receiver', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take() {
      const taken = counts;
      counts = { requests: 0, bytes: 0, spans: 0, metricExports: 0 };
      return taken;
    },
  };
}
