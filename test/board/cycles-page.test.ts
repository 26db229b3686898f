import { describe, expect, it, onTestFinished } from 'vitest';
import { CYCLE_SCHEDULER_ID } from '../../src/queue/jobs.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { artifactPath } from '../helpers/artifacts.ts';
import { AUTH, startTestBoard, useChromium } from '../helpers/board.ts';
import { startPipeline, startSim, testConfig } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const CYCLES = 45;

describe('the first page of completed cycles in headless Chromium', () => {
  const browser = useChromium();

  it(`holds the cycle that did the work after ${CYCLES} cycles of 1 s: 300 orders, each cycle saying what it did`, async () => {
    // Birch runs short: the cycle that did the work ships most orders and blocks some.
    const h = await startSim({
      orders: 300,
      stock: { oak: 10_000, maple: 10_000, pine: 10_000, elm: 10_000, birch: 60 },
    });
    onTestFinished(() => h.sim.close());
    const p = await startPipeline(testConfig(h.sim, { INTERVAL_SECONDS: '1' }));
    onTestFinished(() => p.close());
    await upsertCycleScheduler(p.queues.cycles, p.config);
    const cycles = async () => (await p.queues.cycles.getJobScheduler(CYCLE_SCHEDULER_ID))?.iterationCount ?? 0;
    await waitFor('every order to be processed', () => h.store.countByStatus().registered === 0, { timeoutMs: 60_000 });
    await waitFor(`${CYCLES} cycles`, async () => (await cycles()) >= CYCLES, { timeoutMs: 90_000 });
    const { shipped, blocked } = h.store.countByStatus();
    expect(shipped + blocked).toBe(300);
    expect(blocked).toBeGreaterThan(0);
    const working = `cycle · 300 orders · ${shipped} shipped · ${blocked} blocked`;

    const board = await startTestBoard(p);
    const api = await board.api('GET', '/board/api/queues?activeQueue=cycles&status=completed&page=1&jobsPerPage=10');
    const listed: string[] = api.body.queues
      .find((queue: { name: string }) => queue.name === 'cycles')
      .jobs.map((job: { name: string }) => job.name);
    expect(listed).toContain(working);
    // Besides it, at most the latest empty cycle, not yet removed by the next one.
    expect(listed.length).toBeLessThanOrEqual(2);

    const context = await browser().newContext({
      httpCredentials: { username: AUTH.user, password: AUTH.password },
      viewport: { width: 1280, height: 800 },
    });
    onTestFinished(() => context.close());
    const requests: string[] = [];
    context.on('request', (req) => requests.push(req.url()));
    const page = await context.newPage();
    await page.goto(`${board.url}/queue/cycles?status=completed`);
    await expect
      .poll(async () => (await page.locator('body').textContent()) ?? '', { timeout: 15_000 })
      .toContain(working);
    // A card's title holds the name, then Bull Board's badges (the scheduler's "repeat 46").
    const shown = await page.getByText(/^cycle · /).allTextContents();
    expect(shown.filter((title) => title.startsWith(working))).toHaveLength(1);
    expect(shown.length).toBeLessThanOrEqual(2);
    await page.screenshot({ path: artifactPath('board-cycles.png') });
    expect(requests.filter((url) => new URL(url).origin !== board.origin)).toEqual([]);
  }, 180_000);
});
