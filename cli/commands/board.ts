import { createUpstream } from '../../src/clients/upstream.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { exitOnSignals } from '../shutdown.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/**
 * The board's modules. Bull Board and its web framework take a tenth of a worker's start-up: only the
 * commands that serve them (board, demo) load them, when they run.
 */
export async function loadBoard() {
  const [{ boardOptions }, { startBoard }] = await Promise.all([
    import('../../src/board/options.ts'),
    import('../../src/board/server.ts'),
  ]);
  return { boardOptions, startBoard };
}

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
    const { boardOptions, startBoard } = await loadBoard();
    const queues = createQueues(config, 'blocking', logger);
    const upstream = createUpstream(config);
    const board = await boardOptions(config, {
      queues,
      orderApi: upstream.orderApi,
      logger,
      readinessChecks: { redis: async () => (await queues.redis.ping()) === 'PONG' },
    })
      .then(startBoard)
      .catch(async (error: unknown) => {
        await Promise.all([queues.close(), upstream.close()]);
        throw error;
      });
    logger.info('board listening', {
      url: board.url,
      auth: config.boardUser === '' ? 'none (loopback only)' : 'basic',
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
