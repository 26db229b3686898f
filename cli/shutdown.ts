import type { Logger } from '../src/logger.ts';
import { shutdownTelemetry } from '../src/telemetry/sdk.ts';
import { handleSignalsFromStart, onSignal, type StopReason } from './signals.ts';

/**
 * On the first SIGTERM or SIGINT (or a closed output), runs `close` (which lets active jobs finish),
 * flushes telemetry (bounded: a collector that is down or stalled costs at most FLUSH_TIMEOUT_MS and
 * one warning) and exits 0. A watchdog ends the process with 1 if closing takes longer than
 * `timeoutMs`; a second signal ends it at once.
 */
export function exitOnSignals(close: () => Promise<void>, logger: Logger, timeoutMs: number): void {
  let closing = false;
  const stop = (reason: StopReason) => {
    // Writing "shutting down" to a closed output fails again: only another signal hurries the stop.
    if (closing && reason === 'EPIPE') return;
    if (closing) {
      logger.warn('second signal: exiting without waiting', { signal: reason });
      process.exit(130);
    }
    closing = true;
    logger.info('shutting down: finishing active jobs', { signal: reason });
    const watchdog = setTimeout(() => {
      logger.error('shutdown took too long; exiting', { timeoutMs });
      process.exit(1);
    }, timeoutMs).unref();
    close()
      .then(() => clearTimeout(watchdog))
      .then(() => shutdownTelemetry())
      .then(
        () => {
          logger.info('shut down cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error('shutdown failed', { err });
          process.exit(1);
        },
      );
  };
  handleSignalsFromStart();
  onSignal(stop);
}
