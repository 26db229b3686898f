/**
 * Loaded with `node --import ./dist/src/telemetry/preload.js` so the SDK starts before anything
 * else is imported: instruments created before it would stay no-ops. The hook lets the
 * instrumentations patch ES modules; CommonJS ones (ioredis, as BullMQ loads it on Node 24 here)
 * are patched through require as well, and undici is traced through diagnostics_channel.
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
