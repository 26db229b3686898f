import { startWorkers } from '../../workers/index.ts';
import { exitOnSignals } from '../shutdown.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement worker`: the cycle and process-order workers; run as many replicas as needed. */
export async function workerCommand(): Promise<CommandResult> {
  const { config, logger } = createContext('worker');
  const workers = await startWorkers(config, logger);
  exitOnSignals(() => workers.close(), logger, config.shutdownTimeoutMs);
  return 'running';
}
