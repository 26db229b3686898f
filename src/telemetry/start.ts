import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { startTelemetry } from './sdk.ts';

/**
 * Starts the SDK from the environment before the app is imported: instruments created before it
 * would stay no-ops. A bad configuration is left for the command to report, every variable named.
 */
export function startTelemetryFromEnv(): void {
  try {
    const config = loadConfig();
    startTelemetry({ metricsPort: config.metricsPort, metricsHost: config.metricsHost });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
}
