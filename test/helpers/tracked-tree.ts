import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Files git sees as new (untracked, not ignored) or changed; undefined outside a git checkout. */
function changedFiles(): Set<string> | undefined {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  try {
    return new Set([
      ...git(['ls-files', '--others', '--exclude-standard', '-z']),
      ...git(['diff', '--name-only', '-z']),
    ]);
  } catch {
    return undefined;
  }
}

/**
 * The suite's last global setup: a test never writes into the tracked tree (a screenshot and two JSON
 * reports once landed in the repository root through a URL without its trailing slash). Files that
 * were clean when the run started and are new or changed when it ends fail the run, by name.
 */
export default function setup(): () => void {
  const before = changedFiles();
  return () => {
    const after = changedFiles();
    if (before === undefined || after === undefined) return;
    const written = [...after].filter((file) => !before.has(file));
    if (written.length > 0) {
      throw new Error(
        `the tests wrote into the tracked tree (or it was edited during the run): ${written.join(', ')}; ` +
          'tests write under test-artifacts/ (test/helpers/artifacts.ts)',
      );
    }
  };
}
