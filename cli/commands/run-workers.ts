import { type ReadinessCheck, startHealthServer } from '../../src/health.ts';
import { serveMetrics } from '../../src/telemetry/sdk.ts';
import { startWorkers } from '../../workers/index.ts';
import { exitOnSignals } from '../shutdown.ts';
import type { CommandContext } from './context.ts';

/**
 * Starts the health and metrics endpoints (when HEALTH_PORT, METRICS_PORT are set) first, so a port
 * in use stops the process before it takes any job; then the workers, and a graceful exit on signals.
 */
export async function runWorkers({ config, logger }: CommandContext): Promise<void> {
  let checks: Record<string, ReadinessCheck> = { workers: async () => false };
  const health =
    config.healthPort > 0 ? await startHealthServer(config.healthHost, config.healthPort, () => checks) : undefined;
  if (health) logger.info('health endpoints listening', { url: `${health.url}/readyz` });
  const metrics = await serveMetrics().catch(async (error: unknown) => {
    await health?.close();
    throw error;
  });
  for (const endpoint of metrics) logger.info('metrics endpoint listening', { url: `${endpoint.url}/metrics` });
  const workers = await startWorkers(config, logger);
  checks = workers.readinessChecks;
  exitOnSignals(
    async () => {
      await health?.close();
      await workers.close();
      for (const endpoint of metrics) await endpoint.close();
    },
    logger,
    config.shutdownTimeoutMs,
  );
}
