// A stand-in for grafana/otel-lgtm where that image cannot be had: it receives OTLP/HTTP on 4318
// (POST /v1/traces, /v1/metrics, /v1/logs), answers every export with success and keeps only
// counts, which GET /counts returns, so a test can tell that every role exports telemetry.
// No dependencies: it runs on the node base image as it is.
import { createServer } from 'node:http';

const SIGNALS = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
/** The OTLP/JSON field holding each signal's resources. */
const RESOURCES = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' };
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const counts = {
  traces: { requests: 0, bytes: 0, byService: {} },
  metrics: { requests: 0, bytes: 0, byService: {} },
  logs: { requests: 0, bytes: 0, byService: {} },
};

/** service.name of every resource in an OTLP/JSON body; protobuf bodies are only counted. */
function serviceNames(signal, body, contentType) {
  if (!contentType.includes('json')) return [];
  try {
    const resources = JSON.parse(body.toString('utf8'))[RESOURCES[signal]] ?? [];
    return resources.map(
      (r) => r.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown',
    );
  } catch {
    return ['unparsable'];
  }
}

function send(res, status, contentType, body) {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://stub').pathname;
  if (req.method === 'GET' && path === '/counts') return send(res, 200, 'application/json', JSON.stringify(counts));
  const signal = SIGNALS[path];
  if (req.method !== 'POST' || signal === undefined) return send(res, 404, 'application/json', '{}');
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    const contentType = req.headers['content-type'] ?? '';
    const entry = counts[signal];
    entry.requests += 1;
    entry.bytes += size;
    for (const name of serviceNames(signal, Buffer.concat(chunks), contentType)) {
      entry.byService[name] = (entry.byService[name] ?? 0) + 1;
    }
    // An empty Export*ServiceResponse: `{}` in JSON, zero bytes in protobuf.
    if (contentType.includes('json')) send(res, 200, 'application/json', '{}');
    else send(res, 200, 'application/x-protobuf', '');
  });
});

server.listen(Number(process.env.PORT ?? 4318), '0.0.0.0');
// PID 1 in its container: without handlers, SIGTERM would be ignored until podman's SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
