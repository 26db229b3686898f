import winston from 'winston';
import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { startTelemetry } from './sdk.ts';

/**
 * Starts the SDK from the environment before the app is imported: instruments created before it
 * would stay no-ops. A bad configuration is left for the command to report, every variable named.
 */
export function startTelemetryFromEnv(role: string): void {
  try {
    const config = loadConfig();
    // Its warnings go to stdout only: exporting them would fail as the exports they are about did.
    const logger = createLogger(config.logLevel, { role }, [new winston.transports.Console()]);
    startTelemetry({
      metricsPort: config.metricsPort,
      metricsHost: config.metricsHost,
      warn: (message, fields) => logger.warn(message, fields),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
}
