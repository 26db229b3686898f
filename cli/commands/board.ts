import { boardAccessProblem } from '../../src/board/auth.ts';
import { startBoard } from '../../src/board/server.ts';
import { createUpstream } from '../../src/clients/upstream.ts';
import { ConfigError } from '../../src/errors.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { replayRetries } from '../../src/queue/replay.ts';
import { createLedger } from '../../src/stock/ledger.ts';
import { exitOnSignals } from '../shutdown.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/** `ordermanagement board`: Bull Board, replay and search by order id, behind basic auth. */
export const boardCommand: Command = {
  summary: 'Bull Board with replay and search by order id, behind basic auth',
  usage: '',
  description: [
    'Serves Bull Board (both queues: a cycle shows with its process-order children), POST <base>/api/orders/<id>/replay',
    "and GET <base>/api/orders/<id>/jobs (an order's jobs and what the decrease ledger knows of it), and /livez and",
    '/readyz for probes. Everything but the probes asks for BOARD_USER and BOARD_PASSWORD; without them it listens',
    'only on loopback.',
  ].join('\n'),
  options: {},
  args: 'none',
  settings: ['board', 'redis', 'upstream', 'stock', 'telemetry'],
  async run() {
    const { config, logger } = createContext('board');
    const credentials = { user: config.boardUser, password: config.boardPassword };
    const problem = await boardAccessProblem(config.boardHost, credentials);
    if (problem) throw new ConfigError([problem]);
    const queues = createQueues(config, 'blocking', logger);
    const upstream = createUpstream(config);
    const board = await startBoard({
      queues,
      ledger: createLedger(queues.redis, config),
      orderApi: upstream.orderApi,
      logger,
      host: config.boardHost,
      port: config.boardPort,
      basePath: config.boardBasePath,
      readOnly: config.boardReadOnly,
      credentials,
      readinessChecks: { redis: async () => (await queues.redis.ping()) === 'PONG' },
      retries: replayRetries(config),
    }).catch(async (error: unknown) => {
      await Promise.all([queues.close(), upstream.close()]);
      throw error;
    });
    logger.info('board listening', {
      url: board.url,
      auth: credentials.user === '' ? 'none (loopback only)' : 'basic',
      readOnly: config.boardReadOnly,
    });
    exitOnSignals(
      async () => {
        await board.close();
        await Promise.all([queues.close(), upstream.close()]);
      },
      logger,
      config.shutdownTimeoutMs,
    );
    return 'running';
  },
};
