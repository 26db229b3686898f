import { readFileSync } from 'node:fs';

const DOCKERFILE = new URL('../Dockerfile', import.meta.url);

/**
 * The Node options the image runs every role with (its `ENV NODE_OPTIONS`): the bench starts its
 * ordermanagement workers with them, so it measures what ships. The bare ceiling keeps Node's defaults.
 */
export function shippedNodeOptions(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const match = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile);
  if (!match) throw new Error('Dockerfile: no NODE_OPTIONS="…" in its ENV; the bench would not run what ships');
  return (match[1] ?? '').split(/\s+/).filter((option) => option !== '');
}
