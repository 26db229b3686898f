import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, type Priority } from '../../src/clients/limiter.ts';
import { createRandom } from '../../src/random.ts';
import { type CapacityModel, SharedProcessor } from '../../src/sim/capacity.ts';
import { VirtualClock } from '../helpers/virtual-time.ts';

/** An upstream with a capacity: one service time shared by everything in flight (see src/sim/capacity.ts). */
function sharedUpstream(clock: VirtualClock, serviceMs: number, contention = 0) {
  const model: CapacityModel = {
    serviceMs: { read: serviceMs, write: serviceMs, decrease: serviceMs, list: serviceMs, listItem: 0 },
    contention,
    sliceMs: 5,
    slowdown: 1,
  };
  const processor = new SharedProcessor(model, clock);
  return { model, call: () => processor.serve(serviceMs) };
}

/** An upstream with no capacity limit: every request just takes `ms`. */
function delayUpstream(clock: VirtualClock, ms: () => number) {
  return { call: () => clock.sleep(ms()) };
}

interface Run {
  readonly limiter: ConcurrencyLimiter;
  /** Answers per virtual second, per whole second of the run. */
  readonly perSecond: number[];
  /** The limit at the end of each virtual second. */
  readonly limits: number[];
  readonly latencies: number[];
}

/** `clients` callers that each send one request after another through the limiter, for `seconds`. */
async function drive(
  clock: VirtualClock,
  upstream: { call: () => Promise<void> },
  options: {
    clients: number;
    seconds: number;
    max?: number;
    busy?: number;
    /** This process's event-loop delay as the limiter's meter reads it, in ms. */
    lag?: () => number;
    timeoutMs?: number;
  },
): Promise<Run> {
  const limiter = new ConcurrencyLimiter({
    max: options.max ?? 500,
    random: createRandom(7),
    now: () => clock.now(),
    busyMeter: () => () => options.busy ?? 0,
    lagMeter: () => () => options.lag?.() ?? 0,
  });
  const perSecond: number[] = [];
  const limits: number[] = [];
  const latencies: number[] = [];
  const end = options.seconds * 1000;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const permit = await limiter.acquire('normal');
      const sent = clock.now();
      await upstream.call();
      const ms = clock.now() - sent;
      latencies.push(ms);
      const second = Math.floor(sent / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
      permit.release({ route: 'PUT /orders/:id', ms, overload: ms > (options.timeoutMs ?? Number.POSITIVE_INFINITY) });
    }
  };
  const running = Array.from({ length: options.clients }, client);
  for (let t = 1000; t <= end; t += 1000) {
    await clock.runUntil(t);
    limits.push(limiter.limit);
  }
  stop = true;
  await clock.runUntil(end + 60_000);
  await Promise.all(running);
  return { limiter, perSecond: perSecond.slice(0, options.seconds), limits, latencies };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe('the concurrency limiter', () => {
  it('keeps a shared-capacity upstream busy with a few requests, not hundreds', async () => {
    const clock = new VirtualClock();
    const run = await drive(clock, sharedUpstream(clock, 5.5), { clients: 300, seconds: 30 });
    const capacity = 1000 / 5.5;
    // Seconds 5 to 30: as many answers as the upstream can give...
    const steady = run.perSecond.slice(5);
    expect(Math.min(...steady)).toBeGreaterThan(0.95 * capacity);
    // ...with a dozen or so in flight, so each waits a few service times rather than 300 of them.
    expect(Math.max(...run.limits.slice(5))).toBeLessThanOrEqual(24);
    expect(median(run.latencies.slice(-1000))).toBeLessThan(24 * 5.5);
  });

  it('opens up to an upstream that only adds latency, in well under a second', async () => {
    const clock = new VirtualClock();
    const run = await drive(
      clock,
      delayUpstream(clock, () => 20),
      { clients: 400, seconds: 3 },
    );
    expect(run.limits[0]).toBeGreaterThanOrEqual(400);
    expect(run.perSecond[1]).toBeGreaterThan(0.95 * 400 * (1000 / 20));
  });

  it.each([
    { meter: 'reads its own lag', grows: true },
    { meter: 'reads no lag', grows: false },
  ])('takes its own event-loop delay out of answer times when it $meter', async ({ grows }) => {
    // A 20 ms upstream; from 2 s on, this loaded process reads every answer 12 ms late.
    const clock = new VirtualClock();
    const late = () => clock.now() >= 2000;
    const run = await drive(
      clock,
      delayUpstream(clock, () => (late() ? 32 : 20)),
      { clients: 400, seconds: 6, lag: () => (grows && late() ? 12 : 0) },
    );
    expect(run.limits[1]).toBeGreaterThanOrEqual(400);
    // 32 / 20 looks like 40 % queueing at the upstream: without the lag the limit falls to a few dozen.
    if (grows) expect(Math.min(...run.limits.slice(2))).toBeGreaterThanOrEqual(400);
    else expect(Math.min(...run.limits.slice(2))).toBeLessThan(100);
  });

  it('holds the limit while its own event loop is saturated, since answer times then measure the process', async () => {
    const clock = new VirtualClock();
    let slow = false;
    const upstream = delayUpstream(clock, () => (slow ? 200 : 2));
    const limiter = new ConcurrencyLimiter({
      max: 500,
      random: createRandom(1),
      now: () => clock.now(),
      busyMeter: () => () => (slow ? 0.97 : 0),
    });
    const client = async () => {
      for (let i = 0; i < 400; i++) {
        const permit = await limiter.acquire('normal');
        const sent = clock.now();
        await upstream.call();
        permit.release({ route: 'GET /orders/:id', ms: clock.now() - sent, overload: false });
      }
    };
    const running = Array.from({ length: 300 }, client);
    await clock.runUntil(1000);
    const before = limiter.limit;
    expect(before).toBeGreaterThanOrEqual(256);
    slow = true;
    await clock.runUntil(5000);
    expect(limiter.limit).toBe(before);
    await clock.runUntil(600_000);
    await Promise.all(running);
  });

  it('backs off by a third on timeouts and overload answers', async () => {
    const clock = new VirtualClock();
    const run = await drive(
      clock,
      delayUpstream(clock, () => 20),
      { clients: 200, seconds: 1, max: 200 },
    );
    const before = run.limiter.limit;
    const permits = await Promise.all(Array.from({ length: 8 }, () => run.limiter.acquire('normal')));
    for (const permit of permits) permit.release({ route: 'GET /orders/:id', ms: 5000, overload: true });
    expect(run.limiter.limit).toBe(Math.floor(before * 0.7));
  });

  it('follows an upstream that slows down tenfold, then recovers', async () => {
    const clock = new VirtualClock();
    const upstream = sharedUpstream(clock, 5.5);
    const phase = (from: number, to: number, runs: Run) => runs.limits.slice(from, to);
    const seconds = 90;
    const runPromise = drive(clock, upstream, { clients: 300, seconds, timeoutMs: 5000 });
    await clock.runUntil(20_000);
    upstream.model.slowdown = 10;
    await clock.runUntil(50_000);
    upstream.model.slowdown = 1;
    const run = await runPromise;
    const capacity = 1000 / 5.5;
    // Slow: still about all the upstream can give (answers of a few slow requests land in alternate
    // seconds, so count them over the whole phase), and no answer waits for a timeout.
    expect(sum(run.perSecond.slice(25, 50))).toBeGreaterThan(0.95 * 25 * (capacity / 10));
    expect(Math.max(...run.latencies)).toBeLessThan(5000);
    expect(Math.max(...phase(25, 50, run))).toBeLessThanOrEqual(12);
    // Fast again: back to the full capacity.
    expect(Math.min(...run.perSecond.slice(60, 90))).toBeGreaterThan(0.95 * capacity);
  });

  it('lets a first request go ahead of every waiting normal one', async () => {
    const clock = new VirtualClock();
    const limiter = new ConcurrencyLimiter({
      max: 1,
      random: createRandom(1),
      now: () => clock.now(),
      busyMeter: () => () => 0,
    });
    const held = await limiter.acquire('normal');
    const order: string[] = [];
    const waiting = (priority: Priority, name: string) =>
      limiter.acquire(priority).then((permit) => {
        order.push(name);
        permit.release(undefined);
      });
    const all = [waiting('normal', 'put 1'), waiting('normal', 'put 2'), waiting('first', 'list')];
    expect(limiter.queued).toBe(3);
    held.release(undefined);
    await Promise.all(all);
    expect(order).toEqual(['list', 'put 1', 'put 2']);
  });

  it('gives up a wait whose deadline passes or whose caller aborts, without sending', async () => {
    const limiter = new ConcurrencyLimiter({ max: 1, random: createRandom(1), busyMeter: () => () => 0 });
    const held = await limiter.acquire('normal');
    await expect(limiter.acquire('first', { deadline: performance.now() + 20 })).rejects.toMatchObject({
      code: 'NOT_SENT',
    });
    const abort = new AbortController();
    const aborted = limiter.acquire('normal', { signal: abort.signal });
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'NOT_SENT' });
    expect(limiter.queued).toBe(0);
    held.release(undefined);
    expect(limiter.inFlight).toBe(0);
  });
});
