import { createQueues } from '../queues.ts';
import { describeReplay, isReplayError, replayOrder } from '../replay.ts';
import { createUpstream } from '../upstream.ts';
import { type CommandResult, createContext, UsageError } from './context.ts';

/**
 * `ordermanagement replay <orderId…>`: processes orders now. Prints one line per id; exits 1 when
 * any id was invalid or unknown (the others are still handled).
 */
export async function replayCommand(args: readonly string[]): Promise<CommandResult> {
  if (args.length === 0) throw new UsageError('replay needs at least one order id: ordermanagement replay 42 43');
  const { config, logger } = createContext('replay');
  const queues = createQueues(config, 'fail-fast', logger);
  const upstream = createUpstream(config);
  let failed = false;
  try {
    for (const input of args) {
      const report = await replayOrder({ orderApi: upstream.orderApi, queues }, input);
      failed ||= isReplayError(report);
      (isReplayError(report) ? process.stderr : process.stdout).write(`${describeReplay(report)}\n`);
    }
  } finally {
    await Promise.all([queues.close(), upstream.close()]);
  }
  return failed ? 1 : 0;
}
