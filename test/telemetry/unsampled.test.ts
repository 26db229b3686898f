import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import winston from 'winston';

// Production samples: here nothing is. The sampler comes from the environment, as in a deployment.
process.env.OTEL_TRACES_SAMPLER = 'always_off';
const exporter = new InMemorySpanExporter();
const { startTelemetry, shutdownTelemetry } = await import('../../src/telemetry/sdk.ts');
startTelemetry({ spanProcessors: [new SimpleSpanProcessor({ exporter })], metricReaders: [] });
const { CYCLE_JOB } = await import('../../src/queue/jobs.ts');
const { createLogger } = await import('../../src/logger.ts');
const { startPipeline, startSim, testConfig } = await import('../helpers/pipeline.ts');
const { waitFor } = await import('../helpers/wait.ts');
const { recordSentRequests } = await import('../helpers/sent-headers.ts');

afterAll(() => shutdownTelemetry());

it('gives requests of an unsampled trace no span but the decision, and logs and job data keep its trace id', async () => {
  const sent = recordSentRequests();
  const h = await startSim({ orders: 4, stock: { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 } });
  onTestFinished(() => h.sim.close());
  const lines: string[] = [];
  const capture = new winston.transports.Stream({
    stream: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const p = await startPipeline(testConfig(h.sim), createLogger('info', {}, [capture]));
  onTestFinished(() => p.close());
  const cycle = await p.queues.cycles.add(CYCLE_JOB, {});
  await waitFor('the cycle to complete', async () => (await p.queues.cycles.getJob(cycle.id as string))?.finishedOn);
  expect(h.store.countByStatus().shipped).toBe(4);

  expect(exporter.getFinishedSpans()).toEqual([]);
  const upstreamCalls = sent.filter((r) => r.path.startsWith('/orders') || r.path.startsWith('/stocks'));
  expect(upstreamCalls.length).toBeGreaterThanOrEqual(4 + 1);
  // Inside the process the trace still exists: every order's log line and job carry the cycle's trace id.
  const statusLines = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'order status set');
  expect(statusLines).toHaveLength(4);
  const traceIds = new Set(statusLines.map((l) => l.trace_id));
  expect(traceIds.size).toBe(1);
  const [traceId] = traceIds;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const jobs = await p.queues.orders.getJobs(['completed']);
  expect(jobs).toHaveLength(4);
  for (const job of jobs) expect(job.data.trace?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
  // The upstreams are told the decision: every request carries the cycle's trace, flagged not sampled,
  // so a parent-based sampler downstream does not start a trace of its own.
  for (const call of upstreamCalls)
    expect(call.headers.get('traceparent'), `${call.method} ${call.path}`).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`),
    );
});
