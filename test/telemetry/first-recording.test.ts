import { ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { firstRecording } from '../../src/telemetry/tracing.ts';

const spanContext = (n: number) => ({
  traceId: String(n).padStart(32, '0'),
  spanId: String(n).padStart(16, '0'),
  traceFlags: 0,
});
const unsampled = (n: number) => trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(spanContext(n)));
const recorded = (n: number) =>
  trace.setSpan(ROOT_CONTEXT, {
    ...trace.wrapSpanContext({ ...spanContext(n), traceFlags: 1 }),
    isRecording: () => true,
  } as Span);

describe('firstRecording (the context a coalesced decrease runs in)', () => {
  it('picks the first order whose span records, even behind unsampled ones', () => {
    const contexts = [unsampled(1), unsampled(2), recorded(3), recorded(4)];
    expect(firstRecording(contexts)).toBe(contexts[2]);
  });

  it('falls back to the first when none records, and to the root context when there is none', () => {
    const contexts = [unsampled(1), unsampled(2)];
    expect(firstRecording(contexts)).toBe(contexts[0]);
    expect(firstRecording([])).toBe(ROOT_CONTEXT);
  });
});
