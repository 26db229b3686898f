import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli/commands/index.ts';
import { describeConfig } from '../src/config/describe.ts';
import { loadConfig } from '../src/config/load.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  const readme = read('README.md');

  it('documents every variable with its default', () => {
    const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const entry of describeConfig(loadConfig({}))) {
      const row = `\\|\\s*\`${literal(entry.variable)}\`\\s*\\|\\s*\`${literal(entry.default || '(empty)')}\`\\s*\\|`;
      expect(readme).toMatch(new RegExp(row));
    }
  });

  it('documents every command', () => {
    for (const name of Object.keys(COMMANDS)) expect(readme).toMatch(new RegExp(`\\|\\s*\`${name}[ \`]`));
  });

  it('gives the test command that .ci/run runs', () => {
    expect(readme).toContain('npm test ');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });
});
