// A stand-in for grafana/otel-lgtm where that image cannot be had: it receives OTLP/HTTP on 4318
// (POST /v1/traces, /v1/metrics, /v1/logs, as JSON or protobuf), answers every export with success
// and keeps only counts, which GET /counts returns, so a test can tell that every role exports
// telemetry. No dependencies: Node runs this TypeScript as it is.
import { createServer, type ServerResponse } from 'node:http';
import { type OtlpSignal, readOtlp } from './otlp-wire.ts';

const SIGNALS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Count {
  requests: number;
  bytes: number;
  byContentType: Record<string, number>;
  byService: Record<string, number>;
}
const counts: Record<OtlpSignal, Count> = {
  traces: { requests: 0, bytes: 0, byContentType: {}, byService: {} },
  metrics: { requests: 0, bytes: 0, byContentType: {}, byService: {} },
  logs: { requests: 0, bytes: 0, byContentType: {}, byService: {} },
};

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://stub').pathname;
  if (req.method === 'GET' && path === '/counts') return send(res, 200, 'application/json', JSON.stringify(counts));
  const signal = SIGNALS[path];
  if (req.method !== 'POST' || signal === undefined) return send(res, 404, 'application/json', '{}');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    const contentType = req.headers['content-type'] ?? '';
    const entry = counts[signal];
    entry.requests += 1;
    entry.bytes += size;
    entry.byContentType[contentType] = (entry.byContentType[contentType] ?? 0) + 1;
    let services: string[];
    try {
      services = readOtlp(signal, Buffer.concat(chunks), contentType).services;
    } catch {
      services = ['unreadable'];
    }
    for (const name of services) entry.byService[name] = (entry.byService[name] ?? 0) + 1;
    // An empty Export*ServiceResponse: `{}` in JSON, zero bytes in protobuf.
    if (contentType.includes('json')) send(res, 200, 'application/json', '{}');
    else send(res, 200, 'application/x-protobuf', '');
  });
});

server.listen(Number(process.env.PORT ?? 4318), '0.0.0.0');
// PID 1 in its container: without handlers, SIGTERM would be ignored until podman's SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
