import { configMarkdown, describeConfig } from '../../src/config/describe.ts';
import { UsageError } from '../../src/errors.ts';
import type { Command } from './command.ts';
import { createContext } from './context.ts';

/** `ordermanagement config [--json | --markdown]`: every variable with its default, current value and meaning. */
export const configCommand: Command = {
  summary: 'list every variable with its default, current value and meaning',
  usage: '[--json | --markdown]',
  description:
    'Lists every setting: its variable, default, current value (secrets redacted) and meaning. Fails, naming each\nvariable, when the environment holds a value that cannot be used.',
  options: {
    json: { type: 'boolean', description: 'print the list as JSON' },
    markdown: { type: 'boolean', description: "print the defaults as a Markdown table (README.md's)" },
  },
  args: 'none',
  settings: [],
  async run({ flags }) {
    if (flags.json && flags.markdown) throw new UsageError('--json and --markdown: choose one');
    const { config } = createContext('config');
    const entries = describeConfig(config);
    if (flags.markdown) {
      process.stdout.write(`${configMarkdown(entries)}\n`);
      return 0;
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...entries.map((e) => e.variable.length));
    for (const entry of entries) {
      const value = entry.value === entry.default ? '' : `  (now: ${entry.value})`;
      process.stdout.write(
        `${entry.variable.padEnd(width)}  ${entry.doc}\n${' '.repeat(width)}  default: ${entry.default || '(empty)'}${value}\n`,
      );
    }
    return 0;
  },
};
