import { createLedger } from '../ledger.ts';
import { createQueues } from '../queues.ts';
import { type Assumption, describeReplay, isReplayError, replayOrder } from '../replay.ts';
import { createUpstream } from '../upstream.ts';
import { type CommandResult, createContext, UsageError } from './context.ts';

const FLAGS: Record<string, Assumption> = { '--decreased': 'decreased', '--not-decreased': 'not-decreased' };

/** Splits `replay [--decreased | --not-decreased] <orderId…>`; ids are checked one by one later. */
export function parseReplayArgs(args: readonly string[]): { ids: string[]; assume?: Assumption } {
  const flags = args.filter((arg) => arg.startsWith('--'));
  const ids = args.filter((arg) => !arg.startsWith('--'));
  for (const flag of flags) if (!(flag in FLAGS)) throw new UsageError(`replay does not know ${flag}`);
  if (new Set(flags).size > 1) throw new UsageError('replay takes --decreased or --not-decreased, not both');
  if (ids.length === 0) throw new UsageError('replay needs at least one order id: ordermanagement replay 42 43');
  const [flag] = flags;
  return flag === undefined ? { ids } : { ids, assume: FLAGS[flag] as Assumption };
}

/**
 * `ordermanagement replay [--decreased | --not-decreased] <orderId…>`: processes orders now. Prints
 * one line per id; exits 1 when any id was invalid, unknown or needs a decision (the others are still handled).
 */
export async function replayCommand(args: readonly string[]): Promise<CommandResult> {
  const { ids, assume } = parseReplayArgs(args);
  const { config, logger } = createContext('replay');
  const queues = createQueues(config, 'fail-fast', logger);
  const ledger = createLedger(queues.redis, { prefix: config.queuePrefix, keepSeconds: config.ledgerKeepSeconds });
  const upstream = createUpstream(config);
  let failed = false;
  try {
    for (const input of ids) {
      const report = await replayOrder({ orderApi: upstream.orderApi, queues, ledger }, input, assume);
      failed ||= isReplayError(report);
      (isReplayError(report) ? process.stderr : process.stdout).write(`${describeReplay(report)}\n`);
    }
  } finally {
    await Promise.all([queues.close(), upstream.close()]);
  }
  return failed ? 1 : 0;
}
