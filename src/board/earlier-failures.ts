import type { AfterHook, AppJob } from '@bull-board/api/typings/app';

/**
 * BullMQ keeps a job's last failure and every attempt's stack trace after a later attempt completes
 * it, and Bull Board shows them in red as if the job had failed. For a completed job they move into
 * its data, as `earlierAttempts` (one line per failed attempt, oldest first), where they inform
 * rather than alarm. Pure.
 */
export function withEarlierFailuresInData(job: AppJob): AppJob {
  if (!job.isFailed) return job;
  // Bull Board lists the stack traces newest first; the first line of each names the error.
  const lines = job.stacktrace.map((stack) => stack.split('\n', 1)[0] ?? '').reverse();
  const earlierAttempts = lines.length > 0 ? lines : [job.failedReason ?? ''];
  const data =
    typeof job.data === 'object' && job.data !== null && !Array.isArray(job.data)
      ? { ...job.data, earlierAttempts }
      : { data: job.data, earlierAttempts };
  const { failedReason: _reason, ...rest } = job;
  return { ...rest, data, stacktrace: [], isFailed: false };
}

/** A listed job with a return value completed: BullMQ clears it when a job is retried, and a failure sets none. */
const completedInList = (job: AppJob): boolean =>
  job.finishedOn !== undefined && job.finishedOn !== null && job.returnValue !== undefined && job.returnValue !== null;

interface JobAnswer {
  job: AppJob;
  status: string;
}
interface QueuesAnswer {
  queues: { jobs: AppJob[] }[];
}

/** Bull Board's `after` hook: applies the above to one job's page (it knows the state) and to the job lists. */
export const earlierFailuresHook: AfterHook = (context, result) => {
  if (context.method !== 'get' || (result.status !== undefined && result.status !== 200)) return result;
  if (context.route === '/api/queues/:queueName/:jobId') {
    const body = result.body as JobAnswer;
    if (body.status !== 'completed') return result;
    return { ...result, body: { ...body, job: withEarlierFailuresInData(body.job) } };
  }
  if (context.route === '/api/queues') {
    const body = result.body as QueuesAnswer;
    const queues = body.queues.map((queue) => ({
      ...queue,
      jobs: queue.jobs.map((job) => (completedInList(job) ? withEarlierFailuresInData(job) : job)),
    }));
    return { ...result, body: { ...body, queues } };
  }
  return result;
};
