import { type CommandResult, createContext } from './context.ts';
import { runWorkers } from './run-workers.ts';

/** `ordermanagement worker`: the cycle and process-order workers; run as many replicas as needed. */
export async function workerCommand(): Promise<CommandResult> {
  await runWorkers(createContext('worker'));
  return 'running';
}
