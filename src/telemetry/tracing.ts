import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/** W3C trace context (`traceparent`, `tracestate`) as it travels inside job data. */
export type TraceCarrier = Record<string, string>;

const tracer = trace.getTracer('ordermanagement');

/** The active trace context, ready to store in a job's data; empty when telemetry is off. */
export function currentCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

function remoteLink(carrier: TraceCarrier | undefined): Link[] {
  if (carrier === undefined) return [];
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

export interface MessageSpan {
  /** `send` when adding jobs, `process` when running one (messaging semantic conventions). */
  readonly operation: 'send' | 'process';
  readonly queue: string;
  readonly jobId?: string;
  /** Continue this trace (child of the carrier's span). Absent: a new trace starts. */
  readonly parent?: TraceCarrier;
  /** Link to this trace instead of joining it. */
  readonly link?: TraceCarrier;
  readonly attributes?: Record<string, string | number | boolean>;
  /** Errors that are control flow, not failures (BullMQ's WaitingChildrenError): rethrown, span left OK. */
  readonly controlFlow?: (error: unknown) => boolean;
}

/**
 * Runs `fn` inside a span named `{operation} {queue}`. A thrown error marks the span ERROR with an
 * exception event and is rethrown.
 */
export async function inMessageSpan<T>(spec: MessageSpan, fn: (span: Span) => Promise<T>): Promise<T> {
  const parentContext = spec.parent ? propagation.extract(ROOT_CONTEXT, spec.parent) : ROOT_CONTEXT;
  const parentSpan = trace.getSpanContext(parentContext);
  const hasParent = parentSpan !== undefined && isSpanContextValid(parentSpan);
  return tracer.startActiveSpan(
    `${spec.operation} ${spec.queue}`,
    {
      kind: spec.operation === 'send' ? SpanKind.PRODUCER : SpanKind.CONSUMER,
      root: !hasParent && spec.operation === 'process',
      links: remoteLink(spec.link),
      attributes: {
        'messaging.system': 'bullmq',
        // The conventions require both: the kind of operation, and the system's own name for it,
        // which the span name starts with.
        'messaging.operation.type': spec.operation,
        'messaging.operation.name': spec.operation,
        'messaging.destination.name': spec.queue,
        ...(spec.jobId === undefined ? {} : { 'messaging.message.id': spec.jobId }),
        ...spec.attributes,
      },
    },
    hasParent ? parentContext : context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        if (!spec.controlFlow?.(error)) recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks the span failed: status ERROR and an exception event. */
export function recordFailure(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/**
 * The context a request serving several orders runs in: the first whose span records. Its head's
 * would do only when sampling is all or nothing; sampled per order, a recorded order behind an
 * unsampled head would lose its decrease from its trace.
 */
export function firstRecording(contexts: readonly Context[]): Context {
  return contexts.find((ctx) => trace.getSpan(ctx)?.isRecording()) ?? contexts[0] ?? ROOT_CONTEXT;
}

export interface DecreaseSpan {
  readonly woodType: string;
  readonly orders: readonly number[];
  readonly quantity: number;
  /** The ledger entry, which is also the request's Idempotency-Key. */
  readonly entry: string;
  /** The trace context of each order the request serves. */
  readonly orderTraces: readonly Context[];
}

/**
 * One stock decrease request serving several orders, as one CLIENT span (its HTTP span is its
 * child). It links to every order's span, and every order's span links back to it: each order's
 * trace leads to the request that took its stock.
 */
export function inDecreaseSpan<T>(spec: DecreaseSpan, fn: () => Promise<T>): Promise<T> {
  const orders = spec.orderTraces.map((order) => trace.getSpan(order)).filter((span) => span !== undefined);
  return tracer.startActiveSpan(
    `decrease ${spec.woodType}`,
    {
      kind: SpanKind.CLIENT,
      links: orders.map((span) => ({ context: span.spanContext() })).filter((link) => isSpanContextValid(link.context)),
      attributes: {
        'ordermanagement.wood_type': spec.woodType,
        'ordermanagement.decrease.entry': spec.entry,
        'ordermanagement.decrease.quantity': spec.quantity,
        'ordermanagement.decrease.orders': spec.orders.length,
      },
    },
    async (span) => {
      for (const order of orders) order.addLink({ context: span.spanContext() });
      try {
        return await fn();
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
