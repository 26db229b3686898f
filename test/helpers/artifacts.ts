import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The ignored folder every file a test writes goes to (screenshots, reports): never the tracked tree. */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The path of an artifact named `name`, its folder created. */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}${name}`;
}
