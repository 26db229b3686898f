import { createQueues } from '../queues.ts';
import { upsertCycleScheduler } from '../scheduler.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement scheduler`: registers (or updates) the cycle schedule, then exits. */
export async function schedulerCommand(): Promise<CommandResult> {
  const { config, logger } = createContext('scheduler');
  const queues = createQueues(config, 'blocking', logger);
  try {
    await upsertCycleScheduler(queues.cycles, config);
    logger.info('cycle scheduler registered', { everySeconds: config.intervalSeconds });
  } finally {
    await queues.close();
  }
  return 0;
}
