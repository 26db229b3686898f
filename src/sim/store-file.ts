import { renameSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { StartupError } from '../errors.ts';
import { SimStore } from './store.ts';

/** How often a changed store is written out. */
const SAVE_EVERY_MS = 1000;

export interface StoreFile {
  readonly store: SimStore;
  /** Whether the store came from the file (false: it was seeded and the file written anew). */
  readonly loaded: boolean;
  /** Writes the store a last time and stops saving. */
  close(): Promise<void>;
}

// Written beside it, then renamed over it: a stop mid-write never leaves half a file.
async function save(path: string, store: SimStore, closed: () => boolean = () => false): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(store.snapshot()));
  if (!closed()) await rename(`${path}.tmp`, path);
}

/**
 * The last save, on stop, without libuv's thread pool: DNS lookups of an unreachable telemetry
 * collector can hold all its threads for seconds (a compose stack stopping its collector first), and
 * an asynchronous write queued behind them held the simulator's stop past podman's 10 s.
 */
function saveNow(path: string, store: SimStore): void {
  writeFileSync(`${path}.last`, JSON.stringify(store.snapshot()));
  renameSync(`${path}.last`, path);
}

/**
 * The simulator's state kept in `path` (SIM_DATA_FILE), so it lives as long as the Redis beside it:
 * loaded when the file exists, else seeded by `seed` and written at once; saved every second while
 * it changes, and on close. A file that cannot be read stops the simulator and is left as it is.
 */
export async function openStoreFile(
  path: string,
  seed: () => SimStore,
  onSaveError: (error: unknown) => void,
): Promise<StoreFile> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StartupError(`cannot read ${path} (SIM_DATA_FILE): ${(error as Error).message}`);
    }
  }
  let store: SimStore;
  try {
    store = text === undefined ? seed() : SimStore.fromSnapshot(JSON.parse(text));
  } catch (error) {
    throw new StartupError(`${path} (SIM_DATA_FILE) holds no simulator state: ${(error as Error).message}`);
  }
  try {
    await save(path, store);
  } catch (error) {
    throw new StartupError(`cannot write ${path} (SIM_DATA_FILE): ${(error as Error).message}`);
  }
  let saved = store.changes;
  let saving = Promise.resolve();
  let closed = false;
  const saveIfChanged = () => {
    if (store.changes === saved) return;
    saved = store.changes;
    // A save still queued when the store closes is dropped: the last one is written at once.
    saving = saving.then(() => (closed ? undefined : save(path, store, () => closed))).catch(onSaveError);
  };
  // The servers keep the process alive, not the saver: a simulator that failed to start still exits.
  const timer = setInterval(saveIfChanged, SAVE_EVERY_MS).unref();
  return {
    store,
    loaded: text !== undefined,
    async close() {
      clearInterval(timer);
      closed = true;
      saveNow(path, store);
    },
  };
}
