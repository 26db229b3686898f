/**
 * Loaded with `node --import ./dist/src/telemetry/preload.js` so the SDK starts before anything
 * else is imported. Registering the hook first is what makes ESM imports of ioredis patchable;
 * without it undici spans still appear (diagnostics_channel) but Redis spans silently do not.
 */
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const { ConfigError, loadConfig } = await import('../config.ts');
const { startTelemetry } = await import('./sdk.ts');
try {
  const config = loadConfig();
  startTelemetry({ metricsPort: config.metricsPort, metricsHost: config.metricsHost });
} catch (error) {
  // A bad configuration is reported by the command itself, with every variable named.
  if (!(error instanceof ConfigError)) throw error;
}
