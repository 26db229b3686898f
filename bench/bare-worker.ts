/**
 * The bare ceiling's worker process: a plain BullMQ Worker whose job makes the same two HTTP calls as
 * ordermanagement's (decrease stock, PUT the status), with the same clients, and nothing else.
 * It connects, prints the ready line, and starts taking jobs only on `go`, so start-up is not timed.
 */
import { createInterface } from 'node:readline';
import { type Job, Worker } from 'bullmq';
import { JsonHttpClient } from '../src/clients/http.ts';
import { createOrderApi } from '../src/clients/order-api.ts';
import { createStockApi } from '../src/clients/stock-api.ts';
import { loadConfig } from '../src/config/load.ts';
import { backoffDelay } from '../src/domain/backoff.ts';
import { outcomeOf } from '../src/domain/decrease.ts';
import { createRandom } from '../src/random.ts';
import { BARE_QUEUE, type BareJobData, GO_LINE, READY_LINE } from './bare-job.ts';
import { benchRedis } from './redis.ts';

const config = loadConfig();
const http = { timeoutMs: config.httpTimeoutMs, connections: config.httpConnections };
const orders = new JsonHttpClient('Order API', config.ordersUrl, http);
const stocks = new JsonHttpClient('Stock API', config.stocksUrl, http);
const orderApi = createOrderApi(orders);
const stockApi = createStockApi(stocks);
const random = createRandom(config.randomSeed);

const worker = new Worker<BareJobData>(
  BARE_QUEUE,
  async (job: Job<BareJobData>) => {
    const { orderId, woodType, quantity } = job.data;
    const answer = await stockApi.decrease(woodType, quantity, `order-${orderId}`);
    const outcome = outcomeOf(answer);
    if (outcome === undefined) throw new Error(`decrease of order ${orderId} in doubt`);
    await orderApi.setStatus(orderId, outcome);
    return outcome;
  },
  {
    connection: benchRedis(config.redisUrl, 'blocking'),
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    autorun: false,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        backoffDelay(attemptsMade, config.backoffMs, config.backoffMaxMs, random),
    },
  },
);
worker.on('error', (err) => process.stderr.write(`bare worker error: ${err.message}\n`));
worker.on('failed', (job, err) => process.stderr.write(`bare job ${job?.id} failed: ${err.message}\n`));

await worker.waitUntilReady();
process.stdout.write(`${READY_LINE}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === GO_LINE) void worker.run();
});
process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await Promise.all([orders.close(), stocks.close()]);
    process.exit(0);
  })();
});
