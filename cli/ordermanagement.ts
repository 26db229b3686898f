#!/usr/bin/env node
/**
 * The `ordermanagement` command. Loads almost nothing before it has installed its signal handlers,
 * checked the Node version and started telemetry: the app is imported only after the
 * instrumentations are in place, so the installed bin traces exactly as the image does.
 */
import { enableCompileCache } from 'node:module';
import { register } from 'import-in-the-middle/register-hooks.mjs';
import { nodeVersionProblem } from './node-version.ts';
import { handleSignalsFromStart } from './signals.ts';

handleSignalsFromStart();
// Compiled code is kept on disk (NODE_COMPILE_CACHE, else the temporary directory): a restart, the
// next replica, the next command start in about half the time. A cache that cannot be written is skipped.
enableCompileCache();
const problem = nodeVersionProblem();
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
// Help, the version and the configuration listing touch nothing worth tracing: they start at once without the SDK.
const [command, ...rest] = process.argv.slice(2);
const quick =
  command === 'help' ||
  command === 'config' ||
  command === '--version' ||
  [command, ...rest].some((arg) => arg === '--help' || arg === '-h');
if (!quick && process.env.OTEL_SDK_DISABLED?.trim() !== 'true') {
  // Lets the ioredis instrumentation patch it as an ES module (undici is traced through
  // diagnostics_channel). In-thread hooks, and only for ioredis: the loader thread that
  // module.register starts took every import of the app through a round trip, a second of start-up.
  register({ include: ['ioredis'] });
  const { startTelemetryFromEnv } = await import('../src/telemetry/start.ts');
  startTelemetryFromEnv(command ?? 'start');
}
const { main } = await import('./main.ts');
await main(process.argv.slice(2));
