import type { OrderApi } from '../clients/order-api.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { ReadinessCheck } from '../health.ts';
import type { Logger } from '../logger.ts';
import type { Queues } from '../queue/queues.ts';
import { replayRetries } from '../queue/replay.ts';
import { createLedger } from '../stock/ledger.ts';
import { boardAccessProblem } from './auth.ts';
import type { BoardOptions } from './server.ts';

/**
 * A board's options from the configuration (BOARD_*, the retries of a replay). Refuses, as a
 * configuration error, a board that would listen beyond loopback without credentials.
 */
export async function boardOptions(
  config: Config,
  parts: {
    readonly queues: Queues;
    readonly orderApi: OrderApi;
    readonly logger: Logger;
    readonly readinessChecks: Record<string, ReadinessCheck>;
  },
): Promise<BoardOptions> {
  const credentials = { user: config.boardUser, password: config.boardPassword };
  const problem = await boardAccessProblem(config.boardHost, credentials);
  if (problem) throw new ConfigError([problem]);
  return {
    ...parts,
    ledger: createLedger(parts.queues.redis, config),
    host: config.boardHost,
    port: config.boardPort,
    basePath: config.boardBasePath,
    readOnly: config.boardReadOnly,
    credentials,
    retries: replayRetries(config),
  };
}
