// What an OTLP export request holds, read from OTLP/JSON or OTLP/protobuf (the body of an HTTP
// export or of a gRPC message) without any dependency: the OTLP stand-in (otlp-stub.ts) and the
// tests' collectors both read requests with it.

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

export interface OtlpContents {
  /** service.name of each resource. */
  readonly services: string[];
  readonly spans: { name: string; traceId: string; scope: string }[];
  readonly metrics: string[];
  readonly logs: { body: string; traceId: string }[];
}

type Field = number | Uint8Array;

/** A protobuf message's fields by number: varints as numbers, everything else as its bytes. */
function fields(bytes: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const wire = key % 8;
    const size = wire === 0 ? 0 : wire === 1 ? 8 : wire === 5 ? 4 : wire === 2 ? varint() : -1;
    if (size < 0) throw new Error(`unsupported protobuf wire type ${wire}`);
    const value: Field = wire === 0 ? varint() : bytes.subarray(at, at + size);
    at += size;
    const number = Math.floor(key / 8);
    out.set(number, [...(out.get(number) ?? []), value]);
  }
  return out;
}

const messages = (message: Map<number, Field[]>, number: number): Map<number, Field[]>[] =>
  (message.get(number) ?? []).filter((f): f is Uint8Array => f instanceof Uint8Array).map(fields);
const text = (message: Map<number, Field[]> | undefined, number: number): string => {
  const value = message?.get(number)?.[0];
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : '';
};
const hex = (message: Map<number, Field[]>, number: number): string => {
  const value = message.get(number)?.[0];
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : '';
};

/** A resource's service.name: Resource.attributes(1) → KeyValue{key(1), value(2) → AnyValue.string_value(1)}. */
const serviceOf = (resource: Map<number, Field[]> | undefined): string =>
  text(
    messages(resource ?? new Map(), 1)
      .filter((kv) => text(kv, 1) === 'service.name')
      .flatMap((kv) => messages(kv, 2))[0],
    1,
  ) || 'unknown';

function fromProtobuf(signal: OtlpSignal, body: Uint8Array): OtlpContents {
  const contents: OtlpContents = { services: [], spans: [], metrics: [], logs: [] };
  // Export*ServiceRequest.resource_*(1) → {resource(1), scope_*(2) → {scope(1), items(2)}}.
  for (const resource of messages(fields(body), 1)) {
    contents.services.push(serviceOf(messages(resource, 1)[0]));
    for (const scoped of messages(resource, 2)) {
      const scope = text(messages(scoped, 1)[0], 1);
      for (const item of messages(scoped, 2)) {
        if (signal === 'traces') contents.spans.push({ name: text(item, 5), traceId: hex(item, 1), scope });
        else if (signal === 'metrics') contents.metrics.push(text(item, 1));
        else contents.logs.push({ body: text(messages(item, 5)[0], 1), traceId: hex(item, 9) });
      }
    }
  }
  return contents;
}

interface JsonKeyValue {
  key: string;
  value?: { stringValue?: string };
}
interface JsonResource {
  resource?: { attributes?: JsonKeyValue[] };
  scopeSpans?: { scope?: { name?: string }; spans?: { name: string; traceId: string }[] }[];
  scopeMetrics?: { metrics?: { name: string }[] }[];
  scopeLogs?: { logRecords?: { body?: { stringValue?: string }; traceId?: string }[] }[];
}

function fromJson(signal: OtlpSignal, body: Uint8Array): OtlpContents {
  const key = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' }[signal];
  const resources = (JSON.parse(Buffer.from(body).toString('utf8'))[key] ?? []) as JsonResource[];
  return {
    services: resources.map(
      (r) => r.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown',
    ),
    spans: resources.flatMap((r) =>
      (r.scopeSpans ?? []).flatMap((s) =>
        (s.spans ?? []).map((span) => ({ name: span.name, traceId: span.traceId, scope: s.scope?.name ?? '' })),
      ),
    ),
    metrics: resources.flatMap((r) => (r.scopeMetrics ?? []).flatMap((s) => (s.metrics ?? []).map((m) => m.name))),
    logs: resources.flatMap((r) =>
      (r.scopeLogs ?? []).flatMap((s) =>
        (s.logRecords ?? []).map((log) => ({ body: log.body?.stringValue ?? '', traceId: log.traceId ?? '' })),
      ),
    ),
  };
}

/** Reads an export request of `signal` sent as `contentType` (JSON, or protobuf for anything else). */
export function readOtlp(signal: OtlpSignal, body: Uint8Array, contentType: string): OtlpContents {
  return contentType.includes('json') ? fromJson(signal, body) : fromProtobuf(signal, body);
}
