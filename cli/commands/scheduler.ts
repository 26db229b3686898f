import { createQueues } from '../../src/queue/queues.ts';
import { upsertCycleScheduler } from '../../src/queue/scheduler.ts';
import { reachRedis } from '../../src/redis/connection.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/** `ordermanagement scheduler`: registers (or updates) the cycle schedule, then exits. */
export const schedulerCommand: Command = {
  summary: 'register or update the cycle schedule, then exit',
  usage: '',
  description:
    'Registers the cycle job scheduler under its fixed id (every INTERVAL_SECONDS), or updates it, then exits.\nRunning it again, or from several places at once, keeps exactly one schedule. Fails within seconds,\nnaming REDIS_URL, when Redis cannot be reached.',
  options: {},
  args: 'none',
  settings: ['redis', 'cycles', 'jobs', 'telemetry'],
  async run() {
    const { config, logger } = createContext('scheduler');
    const queues = createQueues(config, 'fail-fast', logger);
    try {
      await reachRedis(queues.redis, config);
      await upsertCycleScheduler(queues.cycles, config);
      logger.info('cycle scheduler registered', { everySeconds: config.intervalSeconds });
    } finally {
      await queues.close();
    }
    return 0;
  },
};
