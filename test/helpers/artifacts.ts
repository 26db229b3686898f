import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What tests produce (figures, logs, pictures) goes here, ignored by git: never into the tracked tree. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The path of `name` (which may hold folders) under test-artifacts/, its folder created. */
export function artifactPath(name: string): string {
  const path = join(ARTIFACTS_DIR, name);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}
