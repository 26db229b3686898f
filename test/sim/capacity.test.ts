import { describe, expect, it } from 'vitest';
import { type CapacityModel, SharedProcessor } from '../../src/sim/capacity.ts';
import { VirtualClock } from '../helpers/virtual-time.ts';

const model = (sliceMs: number, contention = 0): CapacityModel => ({
  serviceMs: { read: 1, write: 1, decrease: 1, list: 1, listItem: 0 },
  contention,
  sliceMs,
  slowdown: 1,
});

/** Serves each request of `workMs` as it arrives at `at` ms; resolves with when each one finished. */
async function finishTimes(
  processor: SharedProcessor,
  clock: VirtualClock,
  requests: { at: number; workMs: number }[],
) {
  const done: number[] = [];
  for (const [i, { at, workMs }] of requests.entries()) {
    clock.setTimer(() => void processor.serve(workMs).then(() => (done[i] = clock.now())), at);
  }
  await clock.runUntil(10_000);
  return done;
}

describe('the shared processor of the capacity model', () => {
  it('serves requests in turns of one slice, in the order they came', async () => {
    const clock = new VirtualClock();
    const processor = new SharedProcessor(model(5), clock);
    // A long request and a short one arriving together: the short one goes after the long one's first turn.
    const done = await finishTimes(processor, clock, [
      { at: 0, workMs: 12 },
      { at: 0, workMs: 2 },
    ]);
    expect(done[1]).toBeCloseTo(7, 6);
    expect(done[0]).toBeCloseTo(14, 6);
  });

  it('keeps serving while a finished request’s client sends its next one', async () => {
    const clock = new VirtualClock();
    const processor = new SharedProcessor(model(5), clock);
    // Four clients, each sending its next 5.5 ms request 1 ms after its answer: the service is never
    // idle, so 400 requests are done after 400 service times (all together they would idle 1 ms every 4).
    let sent = 0;
    let answered = 0;
    const client = async () => {
      while (sent < 400) {
        sent += 1;
        await processor.serve(5.5);
        answered += 1;
        await clock.sleep(1);
      }
    };
    const clients = Promise.all(Array.from({ length: 4 }, client));
    await clock.runUntil(400 * 5.5 + 0.5);
    expect(answered).toBe(400);
    await clock.runUntil(10_000);
    await clients;
  });

  it('keeps its turns to the switch interval of wall-clock time when the service slows down', async () => {
    const clock = new VirtualClock();
    const slow = { ...model(5), slowdown: 2 };
    const processor = new SharedProcessor(slow, clock);
    // 5 ms of work each at half speed: turns of 5 ms of wall time, 2.5 ms of work, alternate.
    const done = await finishTimes(processor, clock, [
      { at: 0, workMs: 5 },
      { at: 0, workMs: 5 },
    ]);
    expect(done[0]).toBeCloseTo(15, 6);
    expect(done[1]).toBeCloseTo(20, 6);
  });

  it('refuses a turn or work that would never end, instead of spinning', () => {
    expect(() => new SharedProcessor(model(0), new VirtualClock())).toThrow(/sliceMs must be a positive number/);
    expect(() => new SharedProcessor(model(5), new VirtualClock()).serve(Number.NaN)).toThrow(/work must be a number/);
  });

  it('slows every request down as more are in flight (contention)', async () => {
    const clock = new VirtualClock();
    const processor = new SharedProcessor(model(5, 0.5), clock);
    // Two in flight: each unit of work takes 1.5 ms until the first leaves.
    const done = await finishTimes(processor, clock, [
      { at: 0, workMs: 2 },
      { at: 0, workMs: 2 },
    ]);
    expect(done[0]).toBeCloseTo(3, 6);
    expect(done[1]).toBeCloseTo(5, 6);
  });
});
