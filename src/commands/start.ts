import { createQueues } from '../queues.ts';
import { upsertCycleScheduler } from '../scheduler.ts';
import { type CommandResult, createContext } from './context.ts';
import { runWorkers } from './run-workers.ts';

/** `ordermanagement start` (the default): registers the schedule and runs the workers in one process. */
export async function startCommand(): Promise<CommandResult> {
  const context = createContext('start');
  const { config, logger } = context;
  const queues = createQueues(config, 'blocking', logger);
  try {
    await upsertCycleScheduler(queues.cycles, config);
  } finally {
    await queues.close();
  }
  logger.info('cycle scheduler registered', { everySeconds: config.intervalSeconds });
  await runWorkers(context);
  return 'running';
}
