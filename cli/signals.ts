/**
 * SIGTERM and SIGINT from the first moment of the process. Node as PID 1 (a container without an
 * init) has no default action for them: a signal that came before the app installed its handler was
 * lost, and the container ran on until SIGKILL. Installed first by the CLI; until a role registers
 * its graceful stop, a signal ends the process at once (nothing has started that needs finishing).
 */
export type SignalHandler = (signal: NodeJS.Signals) => void;

let handler: SignalHandler | undefined;
let installed = false;

export function handleSignalsFromStart(): void {
  if (installed) return;
  installed = true;
  const dispatch = (signal: NodeJS.Signals) => {
    if (handler) return handler(signal);
    process.stderr.write(`ordermanagement: ${signal} during start-up; stopping\n`);
    process.exit(0);
  };
  process.on('SIGTERM', dispatch);
  process.on('SIGINT', dispatch);
}

/** From now on a signal stops the role gracefully through `next`. */
export function onSignal(next: SignalHandler): void {
  handler = next;
}
