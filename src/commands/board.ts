import { boardAccessProblem } from '../board/auth.ts';
import { startBoard } from '../board/server.ts';
import { ConfigError } from '../config.ts';
import { createLedger } from '../ledger.ts';
import { createQueues } from '../queues.ts';
import { exitOnSignals } from '../shutdown.ts';
import { createUpstream } from '../upstream.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement board`: Bull Board, replay and search by order id, behind basic auth. */
export async function boardCommand(): Promise<CommandResult> {
  const { config, logger } = createContext('board');
  const credentials = { user: config.boardUser, password: config.boardPassword };
  const problem = boardAccessProblem(config.boardHost, credentials);
  if (problem) throw new ConfigError([problem]);
  const queues = createQueues(config, 'blocking', logger);
  const upstream = createUpstream(config);
  const board = await startBoard({
    queues,
    ledger: createLedger(queues.redis, { prefix: config.queuePrefix, keepSeconds: config.ledgerKeepSeconds }),
    orderApi: upstream.orderApi,
    logger,
    host: config.boardHost,
    port: config.boardPort,
    basePath: config.boardBasePath,
    readOnly: config.boardReadOnly,
    credentials,
    readinessChecks: { redis: async () => (await queues.redis.ping()) === 'PONG' },
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
}
