import { describeConfig } from '../config.ts';
import { type CommandResult, createContext } from './context.ts';

/** `ordermanagement config [--json]`: every variable with its default, current value and meaning. */
export async function configCommand(args: readonly string[]): Promise<CommandResult> {
  const { config } = createContext('config');
  const entries = describeConfig(config);
  if (args.includes('--json')) {
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
}
