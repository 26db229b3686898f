import { createQueues } from '../../src/queue/queues.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { reachRedis } from '../../src/redis/connection.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';
import { runWorkers } from './run-workers.ts';
import { WORKER_SETTINGS } from './worker.ts';

/** `ordermanagement start` (the default): registers the schedule and runs the workers in one process. */
export const startCommand: Command = {
  summary: 'register the cycle schedule and run the workers (the default)',
  usage: '',
  description: 'What `scheduler` and `worker` do, in one process: registers the cycle schedule, then runs the workers.',
  options: {},
  args: 'none',
  settings: WORKER_SETTINGS,
  async run() {
    const context = createContext('start');
    const { config, logger } = context;
    const queues = createQueues(config, 'fail-fast', logger);
    try {
      await reachRedis(queues.redis, config);
      await upsertCycleScheduler(queues.cycles, config);
    } finally {
      await queues.close();
    }
    logger.info('cycle scheduler registered', { everySeconds: config.intervalSeconds });
    await runWorkers(context);
    return 'running';
  },
};
