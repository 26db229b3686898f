import { CYCLE_JOB } from '../../src/queue/jobs.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { withCleanup } from '../cleanup.ts';
import { benchConfig } from '../config.ts';
import type { BenchContext } from '../context.ts';
import { waitDrained } from '../drain.ts';
import { estimate } from '../estimates.ts';
import { type MajorGc, traceMajorGcs } from '../gc-trace.ts';
import { processMemoryMb, type RssSample, sampleRss } from '../memory.ts';
import { assertAllAlive, startOmWorkers } from '../om-workers.ts';
import { attempt, type Outcome } from '../outcome.ts';
import { flushRedis, usedMemoryMb } from '../redis.ts';
import type { BenchSettings } from '../settings.ts';
import { startBenchSim } from '../sim.ts';
import { waitUntil } from '../wait.ts';
import { workerProcessOptions } from '../worker-process.ts';

/**
 * Flat means the second half of the fan-out holds no more than the first half plus this: judged on
 * the live heap after major GCs when both halves had one, else (less reliably) on resident memory.
 */
export const FLAT_LIVE_SLACK_MB = 16;
export const FLAT_RSS_SLACK_MB = 32;

export interface FanOutRun {
  readonly orders: number;
  readonly enqueued: number;
  readonly seconds: number;
  readonly ordersPerSecond: number;
  /** Worker resident set just before the cycle was added, in MB. */
  readonly rssBeforeMb: number;
  /** VmHWM of the worker process when the fan-out finished (peak since it started). */
  readonly peakRssMb: number;
  readonly firstHalfPeakMb: number;
  readonly secondHalfPeakMb: number;
  /** Heap in use after each major GC during the fan-out (the worker runs with --trace-gc). */
  readonly majorGcs: MajorGc[];
  /** Largest live heap after a major GC in each half; absent when a half had none. */
  readonly firstHalfLiveMb?: number;
  readonly secondHalfLiveMb?: number;
  readonly flat: boolean;
  readonly flatJudgedOn: 'live heap' | 'resident memory';
  readonly rss: RssSample[];
  readonly redisAfterFanOutMb: number;
  /** Only in the run that also processes the orders (the first): Redis after every order shipped. */
  readonly processed?: ProcessedMemory;
}

export interface ProcessedMemory {
  readonly orders: number;
  readonly seconds: number;
  readonly redisUsedMemoryMb: number;
  readonly redisKeys: number;
  readonly completedOrderJobs: number;
}

export interface FanOutResult {
  readonly orders: number;
  readonly runs: Outcome<FanOutRun>[];
}

export function fanOutWeight(settings: BenchSettings): number {
  const { fanOut, runs } = settings;
  return (
    runs * (estimate.startup + 2 + estimate.fanOut(fanOut)) + (settings.fanOutDrain ? estimate.drain(fanOut, 0) : 0)
  );
}

/** Keeps at most `max` samples, evenly spread, so the JSON stays small. */
function thin(samples: RssSample[], max = 200): RssSample[] {
  if (samples.length <= max) return samples;
  const step = samples.length / max;
  return Array.from({ length: max }, (_, i) => samples[Math.floor(i * step)] as RssSample);
}

/**
 * Scenarios 2 and 4 (Redis). A real worker process with the orders queue paused, so only the
 * cycle runs: the clock runs from adding one cycle until it waits for its children, i.e. until
 * every registered order has its job. The first run then resumes the queue, lets every order ship
 * and reads Redis's memory with the default retention (once: it takes a minute or two).
 */
export async function runFanOut(ctx: BenchContext): Promise<FanOutResult> {
  const { fanOut, runs } = ctx.settings;
  const result: FanOutResult = { orders: fanOut, runs: [] };
  for (let run = 0; run < runs; run++) {
    const tag = `run ${run + 1}/${runs}`;
    ctx.progress.step(`fan-out ${tag} · ${fanOut} orders`, estimate.startup + 2 + estimate.fanOut(fanOut));
    result.runs.push(
      await attempt(ctx.neighbours, `fan-out ${tag}`, () => fanOutOnce(ctx, run === 0 && ctx.settings.fanOutDrain)),
    );
  }
  return result;
}

function fanOutOnce(ctx: BenchContext, thenProcess: boolean): Promise<FanOutRun> {
  const { fanOut, seed, concurrencies } = ctx.settings;
  return withCleanup(async (cleanup) => {
    cleanup.add('flush redis', () => flushRedis(ctx.admin));
    const { store, sim } = await startBenchSim(cleanup, { orders: fanOut, latencyMs: 0, seed });
    const config = benchConfig(ctx, sim, { WORKER_CONCURRENCY: String(Math.max(...concurrencies)) });
    const queues = createQueues(config, 'blocking', ctx.logger);
    cleanup.add('queues', () => queues.close());
    await queues.orders.pause();
    const workers = await startOmWorkers(cleanup, config, queues, {
      count: 1,
      env: ctx.settings.workerEnv,
      ...workerProcessOptions(ctx.settings, 'om'),
    });
    const worker = workers[0];
    if (worker === undefined) throw new Error('no worker process');

    const rssBeforeMb = processMemoryMb(worker.pid, 'VmRSS');
    const sampler = sampleRss(worker.pid);
    const gcTrace = traceMajorGcs(worker);
    const started = performance.now();
    const job = await queues.cycles.add(CYCLE_JOB, {});
    const jobId = job.id as string;
    await waitUntil(
      'the cycle to fan out every order',
      async () => {
        const state = await queues.cycles.getJobState(jobId);
        if (state === 'failed') throw new Error(`cycle failed: ${(await queues.cycles.getJob(jobId))?.failedReason}`);
        // Pages the simulator served: progress without adding commands to the Redis being measured.
        const listed = store.listings.total * config.pageSize;
        ctx.progress.update(Math.min(listed / fanOut, 1), `${Math.min(listed, fanOut)}/${fanOut} orders listed`);
        return state === 'waiting-children';
      },
      { timeoutMs: 120_000 + fanOut, intervalMs: 20, onPoll: () => assertAllAlive(workers) },
    );
    const seconds = (performance.now() - started) / 1000;
    const rss = sampler.stop();
    const majorGcs = gcTrace.stop();
    const peakRssMb = processMemoryMb(worker.pid, 'VmHWM');
    const half = seconds / 2;
    const peakOf = (part: RssSample[]) => Math.max(...part.map((s) => s.mb));
    const firstHalfPeakMb = peakOf(rss.filter((s) => s.t <= half));
    const secondHalfPeakMb = peakOf(rss.filter((s) => s.t > half));
    const liveOf = (part: MajorGc[]) => (part.length === 0 ? undefined : Math.max(...part.map((g) => g.liveMb)));
    const during = majorGcs.filter((g) => g.t <= seconds);
    const firstHalfLiveMb = liveOf(during.filter((g) => g.t <= half));
    const secondHalfLiveMb = liveOf(during.filter((g) => g.t > half));
    const onLiveHeap = firstHalfLiveMb !== undefined && secondHalfLiveMb !== undefined;
    const enqueued = (await queues.cycles.getJob(jobId))?.data.fanOut?.enqueued ?? 0;
    const redisAfterFanOutMb = await usedMemoryMb(ctx.admin);
    const run: FanOutRun = {
      orders: fanOut,
      enqueued,
      seconds,
      ordersPerSecond: fanOut / seconds,
      rssBeforeMb,
      peakRssMb,
      firstHalfPeakMb,
      secondHalfPeakMb,
      majorGcs: during,
      ...(firstHalfLiveMb === undefined ? {} : { firstHalfLiveMb }),
      ...(secondHalfLiveMb === undefined ? {} : { secondHalfLiveMb }),
      flat: onLiveHeap
        ? secondHalfLiveMb - firstHalfLiveMb <= FLAT_LIVE_SLACK_MB
        : secondHalfPeakMb - firstHalfPeakMb <= FLAT_RSS_SLACK_MB,
      flatJudgedOn: onLiveHeap ? 'live heap' : 'resident memory',
      rss: thin(rss),
      redisAfterFanOutMb,
    };
    if (!thenProcess) return run;

    ctx.progress.step(`redis memory · processing the ${fanOut} fanned-out orders`, estimate.drain(fanOut, 0));
    const drainStarted = performance.now();
    await queues.orders.resume();
    await waitDrained(store, fanOut, ctx.progress, () => assertAllAlive(workers));
    await waitUntil(
      'the cycle to count its children',
      async () => (await queues.cycles.getJobState(jobId)) === 'completed',
      {
        timeoutMs: 120_000,
        intervalMs: 50,
        onPoll: () => assertAllAlive(workers),
      },
    );
    const processed: ProcessedMemory = {
      orders: fanOut,
      seconds: (performance.now() - drainStarted) / 1000,
      redisUsedMemoryMb: await usedMemoryMb(ctx.admin),
      redisKeys: await ctx.admin.dbsize(),
      completedOrderJobs: await queues.orders.getCompletedCount(),
    };
    return { ...run, processed };
  });
}
