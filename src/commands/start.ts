import { startWorkers } from '../../workers/index.ts';
import { createQueues } from '../queues.ts';
import { upsertCycleScheduler } from '../scheduler.ts';
import { exitOnSignals } from '../shutdown.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement start` (the default): registers the schedule and runs the workers in one process. */
export async function startCommand(): Promise<CommandResult> {
  const { config, logger } = createContext('start');
  const queues = createQueues(config, 'blocking', logger);
  await upsertCycleScheduler(queues.cycles, config);
  await queues.close();
  logger.info('cycle scheduler registered', { everySeconds: config.intervalSeconds });
  const workers = await startWorkers(config, logger);
  exitOnSignals(() => workers.close(), logger, config.shutdownTimeoutMs);
  return 'running';
}
