import { readFileSync } from 'node:fs';

const DOCKERFILE = new URL('../Dockerfile', import.meta.url);

/**
 * The Node options the image runs every role with: its `ENV NODE_OPTIONS`, then the flags its
 * `ENTRYPOINT` gives `node` itself (V8 flags that Node refuses in NODE_OPTIONS). The bench starts its ordermanagement workers with them, so it
 * measures what ships. The bare ceiling keeps Node's defaults.
 */
export function shippedNodeOptions(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const env = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile);
  if (!env) throw new Error('Dockerfile: no NODE_OPTIONS="…" in its ENV; the bench would not run what ships');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('Dockerfile: no ENTRYPOINT [...]; the bench would not run what ships');
  const [program, ...args] = JSON.parse(entrypoint[1] ?? '[]') as string[];
  if (program !== 'node') throw new Error(`Dockerfile: the ENTRYPOINT runs "${program}", not node`);
  const flags: string[] = [];
  for (let i = 0; i < args.length && args[i]?.startsWith('--'); i++) flags.push(args[i] ?? '');
  return [...(env[1] ?? '').split(/\s+/).filter((option) => option !== ''), ...flags];
}
