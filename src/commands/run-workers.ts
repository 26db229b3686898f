import { startWorkers } from '../../workers/index.ts';
import { startHealthServer } from '../health.ts';
import { exitOnSignals } from '../shutdown.ts';
import type { CommandContext } from './context.ts';

/** Starts the workers, their health endpoints when HEALTH_PORT is set, and a graceful exit on signals. */
export async function runWorkers({ config, logger }: CommandContext): Promise<void> {
  const workers = await startWorkers(config, logger);
  const health =
    config.healthPort > 0
      ? await startHealthServer(config.healthHost, config.healthPort, workers.readinessChecks)
      : undefined;
  if (health) logger.info('health endpoints listening', { url: `${health.url}/readyz` });
  exitOnSignals(
    async () => {
      await health?.close();
      await workers.close();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}
