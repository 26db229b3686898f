import type { AppJob } from '@bull-board/api/typings/app';
import { describe, expect, it } from 'vitest';
import { earlierFailuresHook, withEarlierFailuresInData } from '../../src/board/earlier-failures.ts';

const job = (fields: Partial<AppJob>): AppJob => ({
  id: 'order-1',
  name: 'process-order #1',
  timestamp: 1,
  progress: 0,
  attempts: 3,
  stacktrace: [],
  opts: {},
  data: { orderId: 1 },
  returnValue: null,
  isFailed: false,
  ...fields,
});

/** As Bull Board lists them: newest first. */
const stacks = ['Error: second\n    at b (x.js:2)', 'SimulatedFailure: first\n    at a (x.js:1)'];

describe('withEarlierFailuresInData', () => {
  it('moves the failures of earlier attempts into the data, oldest first, one line each', () => {
    const completed = withEarlierFailuresInData(
      job({ isFailed: true, failedReason: 'second', stacktrace: stacks, returnValue: { outcome: 'shipped' } }),
    );
    expect(completed).toMatchObject({ isFailed: false, stacktrace: [], returnValue: { outcome: 'shipped' } });
    expect(completed.failedReason).toBeUndefined();
    expect(completed.data).toEqual({ orderId: 1, earlierAttempts: ['SimulatedFailure: first', 'Error: second'] });
  });

  it('keeps a reason without stack traces, and data that is not an object', () => {
    expect(withEarlierFailuresInData(job({ isFailed: true, failedReason: 'lost', data: 7 })).data).toEqual({
      data: 7,
      earlierAttempts: ['lost'],
    });
  });

  it('leaves a job that never failed alone', () => {
    const clean = job({ returnValue: { outcome: 'shipped' } });
    expect(withEarlierFailuresInData(clean)).toBe(clean);
  });
});

describe('earlierFailuresHook', () => {
  const failedThenCompleted = job({
    isFailed: true,
    failedReason: 'x',
    stacktrace: ['Error: x'],
    finishedOn: 2,
    returnValue: {},
  });
  const failed = job({ isFailed: true, failedReason: 'x', stacktrace: ['Error: x'], finishedOn: 2 });
  const context = (route: string) => ({ method: 'get' as const, route, request: {} as never });

  it("rewrites a completed job's page and completed jobs in lists, never a failed job", async () => {
    const one = await earlierFailuresHook(context('/api/queues/:queueName/:jobId'), {
      status: 200,
      body: { job: failedThenCompleted, status: 'completed' },
    });
    expect((one.body as { job: AppJob }).job.isFailed).toBe(false);
    const stillFailed = await earlierFailuresHook(context('/api/queues/:queueName/:jobId'), {
      status: 200,
      body: { job: failed, status: 'failed' },
    });
    expect((stillFailed.body as { job: AppJob }).job).toBe(failed);
    const list = await earlierFailuresHook(context('/api/queues'), {
      status: 200,
      body: { queues: [{ jobs: [failedThenCompleted, failed] }] },
    });
    const jobs = (list.body as { queues: { jobs: AppJob[] }[] }).queues[0]?.jobs;
    expect(jobs?.map((j) => j.isFailed)).toEqual([false, true]);
  });

  it('passes errors and other routes through', async () => {
    const error = { status: 404 as const, body: { error: 'x' } };
    expect(await earlierFailuresHook(context('/api/queues/:queueName/:jobId'), error)).toBe(error);
    const logs = { status: 200 as const, body: { logs: [] } };
    expect(await earlierFailuresHook(context('/api/queues/:queueName/:jobId/logs'), logs)).toBe(logs);
  });
});
