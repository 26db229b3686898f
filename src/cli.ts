#!/usr/bin/env node
import { type CommandResult, UsageError } from './commands/context.ts';
import { COMMANDS } from './commands/index.ts';
import { ConfigError } from './config.ts';
import { redactUrl } from './redact.ts';

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.help}`);
  return `Usage: ordermanagement <command> [args]\n\nCommands:\n${lines.join('\n')}\n\nSettings come from environment variables: see \`ordermanagement config\`.\n`;
}

async function main(argv: readonly string[]): Promise<CommandResult> {
  const [name = 'start', ...args] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"`);
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (result) => {
    if (result !== 'running') process.exitCode = result;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`ordermanagement: ${error.message}\nSee \`ordermanagement config\` for every variable.\n`);
      process.exitCode = 78;
    } else if (error instanceof UsageError) {
      process.stderr.write(`ordermanagement: ${error.message}\n\n${usage()}`);
      process.exitCode = 64;
    } else {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`ordermanagement: ${redactUrl(text)}\n`);
      process.exitCode = 1;
    }
  },
);
