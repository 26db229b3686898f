/**
 * Undo actions run last-in first-out, every one of them even when an earlier one throws: a scenario
 * that fails half-way must still kill its processes, close its simulator and empty Redis.
 */
export class Cleanup {
  readonly #actions: { what: string; action: () => Promise<void> | void }[] = [];

  add(what: string, action: () => Promise<void> | void): void {
    this.#actions.push({ what, action });
  }

  async run(): Promise<void> {
    const problems: string[] = [];
    for (let next = this.#actions.pop(); next !== undefined; next = this.#actions.pop()) {
      try {
        await next.action();
      } catch (error) {
        problems.push(`${next.what}: ${(error as Error).message}`);
      }
    }
    if (problems.length > 0) process.stderr.write(`bench: cleanup problems:\n  ${problems.join('\n  ')}\n`);
  }
}

/** Cleanups not yet run, so Ctrl-C can still kill the workers of the run it interrupted. */
const pending = new Set<Cleanup>();

/** Runs `body` with a fresh Cleanup that is always run afterwards, whatever `body` did. */
export async function withCleanup<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  pending.add(cleanup);
  try {
    return await body(cleanup);
  } finally {
    pending.delete(cleanup);
    await cleanup.run();
  }
}

/** On a signal: runs every cleanup still pending, innermost (latest) first. */
export async function runPendingCleanups(): Promise<void> {
  for (const cleanup of [...pending].reverse()) {
    pending.delete(cleanup);
    await cleanup.run();
  }
}
