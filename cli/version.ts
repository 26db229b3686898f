import { readFileSync } from 'node:fs';

/**
 * The version in package.json. This module runs as cli/version.ts from a checkout and as
 * dist/cli/version.js from a build or the image, so the file is looked for upwards from here.
 */
export function packageVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ordermanagement' && pkg.version) return pkg.version;
    } catch {
      // Not at this level: try the next.
    }
  }
  throw new Error('package.json of ordermanagement not found beside the command');
}
