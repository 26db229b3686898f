/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, or BENCH_CPU_PROF=<dir> for the bench's workers):
 * self time per function and per package, so "where does the time go" has an answer in numbers.
 *   node bench/profile-summary.ts <file.cpuprofile>... [--top N] [--skip S]
 * --skip leaves out the first S seconds of each profile: a worker's start-up (module loading) is
 * not part of what the bench times.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which package or part of the project a script belongs to: node_modules/<pkg>, src/, workers/, node:. */
function owner(url: string): string {
  if (url === '') return '(native / program / gc / idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node: (core)';
  const project = /\/(src|workers|bench)\//.exec(url);
  return project ? `${project[1]}/` : url;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function table(title: string, map: Map<string, number>, total: number, top: number): string {
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(
    ([key, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`,
  );
  return `${title}\n${lines.join('\n')}\n`;
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
}

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', () => process.exit(0));
const files = process.argv.slice(2);
const top = option(files, '--top', 25);
const skipUs = option(files, '--skip', 0) * 1e6;
if (files.length === 0 || !Number.isFinite(top) || !Number.isFinite(skipUs)) {
  process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile>... [--top N] [--skip S]\n');
  process.exit(64);
}
const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    elapsed += us;
    if (elapsed < skipUs) return;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    total += us;
    const where =
      frame.url === ''
        ? ''
        : ` ${frame.url.replace(/^.*\/(node_modules|src|workers|bench)\//, '$1/')}:${frame.lineNumber + 1}`;
    add(byFunction, `${frame.functionName || '(anonymous)'}${where}`, us);
    add(byOwner, owner(frame.url), us);
  });
}
process.stdout.write(`${files.length} profile(s), ${(total / 1e6).toFixed(1)} s sampled\n\n`);
process.stdout.write(table('Self time by package', byOwner, total, top));
process.stdout.write('\n');
process.stdout.write(table('Self time by function', byFunction, total, top));
