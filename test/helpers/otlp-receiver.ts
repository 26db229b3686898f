import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttp2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { onTestFinished } from 'vitest';
import { type OtlpSignal, readOtlp } from '../../deploy/podman/otlp-wire.ts';

/** One export request as it arrived. */
export interface Arrival {
  readonly signal: OtlpSignal;
  readonly path: string;
  readonly contentType: string;
}

export interface Received {
  readonly arrivals: Arrival[];
  readonly services: Set<string>;
  readonly spans: { name: string; traceId: string; scope: string }[];
  readonly metricNames: Set<string>;
  readonly logs: { body: string; traceId: string }[];
}

export interface Receiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  readonly url: string;
  readonly received: Received;
}

const HTTP_PATHS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const GRPC_PATHS: Record<string, OtlpSignal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': 'metrics',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
};

function record(received: Received, arrival: Arrival, body: Buffer): void {
  received.arrivals.push(arrival);
  const contents = readOtlp(arrival.signal, body, arrival.contentType);
  for (const service of contents.services) received.services.add(service);
  received.spans.push(...contents.spans);
  for (const name of contents.metrics) received.metricNames.add(name);
  received.logs.push(...contents.logs);
}

const collect = (stream: IncomingMessage | ServerHttp2Stream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

/** gRPC frames one message as: a compression flag byte, a 4-byte length, the message. */
const unframe = (body: Buffer): Buffer => body.subarray(5, 5 + body.readUInt32BE(1));

/** Listens on loopback; when the test finishes, `drop` ends the connections still open, then it closes. */
async function listening(server: Server, drop: () => void): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    drop();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A local OTLP collector, what an OpenTelemetry Collector would be sent: OTLP/HTTP (JSON or
 * protobuf, on /v1/<signal>) or OTLP/gRPC (h2c). `stall` accepts every request and never answers.
 */
export async function otlpReceiver(kind: 'http' | 'grpc', behaviour: 'answer' | 'stall' = 'answer'): Promise<Receiver> {
  const received: Received = { arrivals: [], services: new Set(), spans: [], metricNames: new Set(), logs: [] };
  if (kind === 'http') {
    const server = createHttpServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://collector').pathname;
      const signal = HTTP_PATHS[path];
      const body = await collect(req);
      if (signal === undefined) return res.writeHead(404).end();
      const contentType = req.headers['content-type'] ?? '';
      record(received, { signal, path, contentType }, body);
      // Stalled: the request is read and never answered, until the test ends the connection.
      if (behaviour === 'stall') return;
      res.writeHead(200, {
        'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf',
      });
      res.end(contentType.includes('json') ? '{}' : '');
    });
    return { url: await listening(server, () => server.closeAllConnections()), received };
  }
  const server = createHttp2Server();
  server.on('stream', async (stream, headers) => {
    const path = String(headers[':path']);
    const signal = GRPC_PATHS[path];
    const body = await collect(stream);
    if (signal === undefined) return stream.respond({ ':status': 404 }, { endStream: true });
    record(received, { signal, path, contentType: String(headers['content-type']) }, unframe(body));
    if (behaviour === 'stall') return;
    // An empty Export*ServiceResponse, framed, then the status in trailers.
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.alloc(5));
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  return {
    url: await listening(server, () => {
      for (const session of sessions) session.destroy();
    }),
    received,
  };
}
