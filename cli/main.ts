import { closest, distance } from 'fastest-levenshtein';
import { ConfigError, StartupError, UsageError } from '../src/errors.ts';
import { redactUrl } from '../src/redact.ts';
import { type Command, type CommandResult, commandHelp, parseCommandLine } from './commands/command.ts';
import { COMMANDS } from './commands/index.ts';
import { packageVersion } from './version.ts';

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return (
    `Usage: ordermanagement <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n` +
    'Each command answers --help with its options and the variables it reads; settings come from\n' +
    'environment variables: see `ordermanagement config`. --version prints the version.\n'
  );
}

/** A near miss of a command's name (`strat`), as a misspelt variable is named with the one meant. */
function suggestion(name: string): string {
  const meant = closest(name, Object.keys(COMMANDS));
  return distance(name, meant) <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean ${meant}?` : '';
}

async function dispatch(argv: readonly string[]): Promise<CommandResult> {
  const [name = 'start', ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    process.stdout.write(topic && rest[0] ? commandHelp(rest[0], topic) : overview());
    return 0;
  }
  if (name === '--version') {
    process.stdout.write(`ordermanagement ${packageVersion()}\n`);
    return 0;
  }
  const command: Command | undefined = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"${suggestion(name)}`);
  const input = parseCommandLine(name, command, rest);
  if (input === undefined) {
    process.stdout.write(commandHelp(name, command));
    return 0;
  }
  return command.run(input);
}

/** Runs one command line and sets the exit code: 64 usage, 78 configuration, 1 any other failure. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    const result = await dispatch(argv);
    if (result !== 'running') process.exitCode = result;
  } catch (error) {
    const [name] = argv;
    if (error instanceof ConfigError) {
      process.stderr.write(`ordermanagement: ${error.message}\nSee \`ordermanagement config\` for every variable.\n`);
      process.exitCode = 78;
    } else if (error instanceof UsageError) {
      const command = name === undefined ? undefined : COMMANDS[name];
      const usage =
        command && name
          ? `${`Usage: ordermanagement ${name} ${command.usage}`.trimEnd()}\nSee \`ordermanagement ${name} --help\`.\n`
          : overview();
      process.stderr.write(`ordermanagement: ${error.message}\n\n${usage}`);
      process.exitCode = 64;
    } else if (error instanceof StartupError) {
      process.stderr.write(`ordermanagement: ${redactUrl(error.message)}\n`);
      process.exitCode = 1;
    } else {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`ordermanagement: ${redactUrl(text)}\n`);
      process.exitCode = 1;
    }
  }
}
