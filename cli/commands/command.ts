import { type ParseArgsOptionDescriptor, parseArgs } from 'node:util';
import { type Config, SCHEMA, SETTING_GROUPS, type SettingGroup } from '../../src/config/schema.ts';
import { UsageError } from '../../src/errors.ts';

/** A command's exit code, or `running` for a long-lived role that exits on a signal. */
export type CommandResult = number | 'running';

export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly description: string;
}

/** What a command takes from its command line, parsed strictly (an unknown flag is refused). */
export interface CommandInput {
  readonly flags: Readonly<Record<string, boolean | string | undefined>>;
  readonly args: readonly string[];
}

export interface Command {
  /** One line for the command overview. */
  readonly summary: string;
  /** What follows `ordermanagement <name>` on the command line. */
  readonly usage: string;
  /** What it does, for its --help. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Whether it takes arguments besides its flags, and whether at least one is needed. */
  readonly args: 'none' | 'some';
  /** The variables it reads, listed by its --help. */
  readonly settings: readonly SettingGroup[];
  run(input: CommandInput): Promise<CommandResult>;
}

const HELP: Record<string, OptionSpec> = {
  help: { type: 'boolean', description: 'show this help, and do nothing else' },
};

/** Parses a command line for `command`; undefined when it asks for help. */
export function parseCommandLine(name: string, command: Command, argv: readonly string[]): CommandInput | undefined {
  const options: Record<string, ParseArgsOptionDescriptor> = { help: { type: 'boolean', short: 'h' } };
  for (const [flag, spec] of Object.entries(command.options)) options[flag] = { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: command.args !== 'none', strict: true });
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '')}`);
  }
  if (parsed.values.help) return undefined;
  if (command.args === 'some' && parsed.positionals.length === 0) {
    throw new UsageError(`${name} needs at least one argument: ordermanagement ${name} ${command.usage}`);
  }
  return { flags: parsed.values as CommandInput['flags'], args: parsed.positionals };
}

const table = (rows: readonly (readonly [string, string])[]): string => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
};

/** `ordermanagement <name> --help`: usage, what it does, its options, and the variables it reads. */
export function commandHelp(name: string, command: Command): string {
  const options = table(
    Object.entries({ ...command.options, ...HELP }).map(([flag, spec]) => [
      `${flag === 'help' ? '-h, ' : ''}--${flag}${spec.type === 'string' ? ' <value>' : ''}`,
      spec.description,
    ]),
  );
  const variables = table(
    command.settings.flatMap((group) =>
      (Object.keys(SETTING_GROUPS[group]) as (keyof Config)[]).map((key): [string, string] => [
        SCHEMA[key].env,
        `${SCHEMA[key].doc} (default: ${String(SCHEMA[key].default) || 'empty'})`,
      ]),
    ),
  );
  return (
    `Usage: ordermanagement ${name} ${command.usage}`.trimEnd() +
    `\n\n${command.description}\n\nOptions:\n${options}\n` +
    (variables ? `\nVariables (current values: ordermanagement config):\n${variables}\n` : '')
  );
}
