import type { Command } from './command.ts';
import { createContext } from './context.ts';
import { runWorkers } from './run-workers.ts';

export const WORKER_SETTINGS = ['redis', 'upstream', 'stock', 'cycles', 'jobs', 'health', 'telemetry'] as const;

/** `ordermanagement worker`: the cycle and process-order workers; run as many replicas as needed. */
export const workerCommand: Command = {
  summary: 'run the cycle and process-order workers (scale out freely)',
  usage: '',
  description:
    'Runs the cycle and process-order workers until SIGTERM or SIGINT, then lets active jobs finish (at most\nSHUTDOWN_TIMEOUT_MS). Run any number of them side by side; a scheduler (or start) registers the cycles.',
  options: {},
  args: 'none',
  settings: WORKER_SETTINGS,
  async run() {
    await runWorkers(createContext('worker'));
    return 'running';
  },
};
