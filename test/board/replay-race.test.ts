import { describe, expect, it, onTestFinished } from 'vitest';
import { enqueueOrders } from '../../src/queue/enqueue.ts';
import { orderJobId } from '../../src/queue/jobs.ts';
import { type Answer, boardWithOrderWaiting, startTestBoard } from '../helpers/board.ts';
import { runCli } from '../helpers/cli.ts';
import {
  attribute,
  childEnv,
  type RunningPipeline,
  type SimHarness,
  startPipeline,
  startSim,
  testConfig,
} from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';

const STOCK = { oak: 100, maple: 100, birch: 100, elm: 100, pine: 100 };

/** Exactly one answer won (202); every other one is a 409 that says why. */
function expectOneWinner(answers: readonly Answer[]): Answer {
  expect(answers.map((answer) => answer.status).sort()).toEqual([202, ...Array(answers.length - 1).fill(409)]);
  for (const answer of answers) expect(answer.body.message).toMatch(/^order 1: /);
  return answers.find((answer) => answer.status === 202) as Answer;
}

/** An order whose job failed after its stock was taken (every status update refused), then the upstream heals. */
async function failedAfterTaking(): Promise<{ h: SimHarness; p: RunningPipeline }> {
  const h = await startSim(
    { orders: 3, stock: STOCK },
    { errorRate: 0, statusUpdateErrorRate: 1, statusUpdateErrorStatus: 403 },
  );
  onTestFinished(() => h.sim.close());
  const p = await startPipeline(testConfig(h.sim, { RETRY_ATTEMPTS: '1' }));
  onTestFinished(() => p.close());
  await enqueueOrders(p.queues, [1]);
  await waitFor('the job to fail', async () => (await p.queues.orders.getJob(orderJobId(1)))?.failedReason);
  h.options.statusUpdateErrorRate = 0;
  return { h, p };
}

describe('concurrent replays and answers of one order', () => {
  it('20 replays of a failed order at once: one retries it, the others get 409 with the reason; stock taken once', async () => {
    const { h, p } = await failedAfterTaking();
    const board = await startTestBoard(p);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => board.api('POST', '/board/api/orders/1/replay')),
    );
    expect(expectOneWinner(answers).body).toMatchObject({ result: 'retried', jobId: 'order-1' });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect((await attribute(h, p.ledger)).perOrder.get(1)).toBe(1);
    expect(h.store.decreaseLog).toHaveLength(1);
  });

  it('"was decreased", "was not decreased" and plain replays at once: one answer counts, the stock follows it', async () => {
    const {
      h,
      p,
      facts: { quantity, level },
      board,
    } = await boardWithOrderWaiting();
    const paths = Array.from({ length: 18 }, (_, i) =>
      i % 3 === 2 ? '' : `?assume=${i % 3 === 0 ? 'decreased' : 'not-decreased'}`,
    );
    const answers = await Promise.all(paths.map((query) => board.api('POST', `/board/api/orders/1/replay${query}`)));
    const winner = expectOneWinner(answers).body;
    expect(winner).toMatchObject({ result: 'retried', settled: { orders: [1] } });
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    // Taken: only the status was set. Not taken: it was sent again, once.
    const taken = winner.settled.assume === 'decreased';
    expect(h.store.stock.get('oak')).toBe(taken ? level : level - quantity);
    expect(h.store.decreaseLog).toHaveLength(taken ? 1 : 2);
    expect(await p.ledger.stats()).toMatchObject({ toPerson: 1, decidedByPerson: 1 });
  });

  it('the CLI and the board at once: one replay wins, each CLI loser says why on one line and exits 1', async () => {
    const { h, p } = await failedAfterTaking();
    const board = await startTestBoard(p);
    // The winner's job waits, so every loser meets it in flight or the claim held: none can run later.
    await p.workers.processOrder.pause();
    const env = childEnv(p.config);
    const [cli, http] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => runCli(['replay', '1'], env))),
      Promise.all(Array.from({ length: 8 }, () => board.api('POST', '/board/api/orders/1/replay'))),
    ]);
    const cliWon = cli.filter((run) => run.code === 0);
    const httpWon = http.filter((answer) => answer.status === 202);
    expect(cliWon.length + httpWon.length).toBe(1);
    expect(http.filter((answer) => answer.status !== 202).every((answer) => answer.status === 409)).toBe(true);
    for (const run of cli.filter((r) => r.code !== 0)) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^order 1: (another replay or answer of order 1 is under way|job order-1 is already waiting); nothing (changed|added)\n$/,
      );
    }
    await p.workers.processOrder.resume();
    await waitFor('order 1 to ship', () => h.store.orders.get(1)?.order_status === 'shipped');
    expect(h.store.decreaseLog).toHaveLength(1);
  });
});
