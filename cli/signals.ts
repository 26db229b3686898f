/**
 * SIGTERM and SIGINT from the first moment of the process. Node as PID 1 (a container without an
 * init) has no default action for them: a signal that came before the app installed its handler was
 * lost, and the container ran on until SIGKILL. Installed first by the CLI; until a role registers
 * its graceful stop, a signal ends the process at once (nothing has started that needs finishing).
 *
 * A closed output (`ordermanagement config | head`, a log reader gone) must not end a command with
 * an EPIPE stack trace, nor cut it short: a one-shot command finishes its work and exits with its
 * own code (replay still handles every id), and a long-lived role stops gracefully, as on SIGTERM.
 */
export type StopReason = NodeJS.Signals | 'EPIPE';
export type SignalHandler = (reason: StopReason) => void;

let handler: SignalHandler | undefined;
let installed = false;
let outputClosed = false;

/** Once a stream's reader is gone every later write fails too: those failures are expected, not crashes. */
function tolerateClosedReader(stream: NodeJS.WriteStream, onClosed: () => void): void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (closed) return;
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    onClosed();
  });
}

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
  tolerateClosedReader(process.stdout, () => {
    outputClosed = true;
    handler?.('EPIPE');
  });
  // Messages to stderr are best effort: a command whose stderr is gone still finishes its work.
  tolerateClosedReader(process.stderr, () => {});
}

/**
 * From now on a signal (or a closed output) stops the role gracefully through `next`. An output
 * that closed while the role was starting stops it as soon as it can stop.
 */
export function onSignal(next: SignalHandler): void {
  handler = next;
  if (outputClosed) next('EPIPE');
}
