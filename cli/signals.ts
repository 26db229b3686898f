/**
 * SIGTERM and SIGINT from the first moment of the process. Node as PID 1 (a container without an
 * init) has no default action for them: a signal that came before the app installed its handler was
 * lost, and the container ran on until SIGKILL. Installed first by the CLI; until a role registers
 * its graceful stop, a signal ends the process at once (nothing has started that needs finishing).
 *
 * A closed output (`ordermanagement config | head`, a log reader gone) is one more reason to stop:
 * without a listener, the first write after it would end the process with an EPIPE stack trace.
 */
export type StopReason = NodeJS.Signals | 'EPIPE';
export type SignalHandler = (reason: StopReason) => void;

let handler: SignalHandler | undefined;
let installed = false;

export function handleSignalsFromStart(): void {
  if (installed) return;
  installed = true;
  const dispatch = (reason: StopReason) => {
    if (handler) return handler(reason);
    if (reason !== 'EPIPE') process.stderr.write(`ordermanagement: ${reason} during start-up; stopping\n`);
    process.exit(0);
  };
  process.on('SIGTERM', dispatch);
  process.on('SIGINT', dispatch);
  let outputClosed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    // Every later write fails the same way: one stop is enough.
    if (outputClosed) return;
    outputClosed = true;
    dispatch('EPIPE');
  });
}

/** From now on a signal (or a closed output) stops the role gracefully through `next`. */
export function onSignal(next: SignalHandler): void {
  handler = next;
}
