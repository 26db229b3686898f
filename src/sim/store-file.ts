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

async function save(path: string, store: SimStore): Promise<void> {
  // Written beside it, then renamed over it: a stop mid-write never leaves half a file.
  await writeFile(`${path}.tmp`, JSON.stringify(store.snapshot()));
  await rename(`${path}.tmp`, path);
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
  const saveIfChanged = () => {
    if (store.changes === saved) return saving;
    saved = store.changes;
    saving = saving.then(() => save(path, store)).catch(onSaveError);
    return saving;
  };
  // The servers keep the process alive, not the saver: a simulator that failed to start still exits.
  const timer = setInterval(saveIfChanged, SAVE_EVERY_MS).unref();
  return {
    store,
    loaded: text !== undefined,
    async close() {
      clearInterval(timer);
      await saveIfChanged();
    },
  };
}
