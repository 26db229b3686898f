import { createUpstream } from '../../src/clients/upstream.ts';
import { coerceError, UsageError } from '../../src/errors.ts';
import { createQueues } from '../../src/queue/queues.ts';
import {
  type Assumption,
  describeReplay,
  isReplayError,
  type ReplayReport,
  replayOrderRetrying,
  replayRetries,
} from '../../src/queue/replay.ts';
import { reachRedis } from '../../src/redis/connection.ts';
import { createLedger } from '../../src/stock/ledger.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/** `ordermanagement replay [--decreased | --not-decreased] <orderId…>`: processes orders now. */
export const replayCommand: Command = {
  summary: 'process these orders now: replay <orderId...>',
  usage: '[--decreased | --not-decreased] <orderId...>',
  description: [
    'Enqueues each order for processing now. An order whose job is waiting or running is left alone; a failed',
    'job is retried; a finished one is replaced. The decrease ledger decides whether stock is still to be taken,',
    'so a replay never takes it twice. An order whose decrease waits for a person (the stock changed for another',
    'reason while its answer was lost) is replayed only with the answer: check the stock, then --decreased (it was',
    'taken: only the status is set) or --not-decreased (it was not: it is sent again).',
    'One replay or answer of an order runs at a time, whoever sends it (CLI or board); another at the same moment is',
    'refused as busy. Transient upstream failures are retried (RETRY_ATTEMPTS); one line per order, then a summary.',
    'Exits 1 when any order could not be replayed (refused, already in flight, busy, or waiting for an answer).',
  ].join('\n'),
  options: {
    decreased: { type: 'boolean', description: 'the decrease in doubt was taken: only set the status' },
    'not-decreased': { type: 'boolean', description: 'the decrease in doubt was not taken: send it again' },
  },
  args: 'some',
  settings: ['redis', 'upstream', 'stock', 'jobs', 'telemetry'],
  async run({ flags, args }) {
    if (flags.decreased && flags['not-decreased']) {
      throw new UsageError('replay takes --decreased or --not-decreased, not both');
    }
    const assume: Assumption | undefined = flags.decreased
      ? 'decreased'
      : flags['not-decreased']
        ? 'not-decreased'
        : undefined;
    const { config, logger } = createContext('replay');
    const queues = createQueues(config, 'fail-fast', logger);
    const upstream = createUpstream(config);
    const retries = replayRetries(config);
    const counts = new Map<string, number>();
    let anyFailed = false;
    try {
      await reachRedis(queues.redis, config);
      const deps = { orderApi: upstream.orderApi, queues, ledger: createLedger(queues.redis, config) };
      for (const input of args) {
        const report: ReplayReport | Error = await replayOrderRetrying(deps, input, assume, retries).catch(coerceError);
        const failed = report instanceof Error || isReplayError(report);
        anyFailed ||= failed;
        const line =
          report instanceof Error ? `${JSON.stringify(input)}: failed: ${report.message}` : describeReplay(report);
        (failed ? process.stderr : process.stdout).write(`${line}\n`);
        const result = report instanceof Error ? 'failed' : report.result;
        counts.set(result, (counts.get(result) ?? 0) + 1);
      }
    } finally {
      await Promise.all([queues.close(), upstream.close()]);
    }
    const summary = [...counts].map(([result, n]) => `${n} ${result}`).join(', ');
    process.stdout.write(`replay: ${args.length} order${args.length === 1 ? '' : 's'}: ${summary}\n`);
    return anyFailed ? 1 : 0;
  },
};
