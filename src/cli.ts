#!/usr/bin/env node
import { boardCommand } from './commands/board.ts';
import { configCommand } from './commands/config.ts';
import { type CommandResult, UsageError } from './commands/context.ts';
import { demoCommand } from './commands/demo.ts';
import { replayCommand } from './commands/replay.ts';
import { schedulerCommand } from './commands/scheduler.ts';
import { simCommand } from './commands/sim.ts';
import { startCommand } from './commands/start.ts';
import { workerCommand } from './commands/worker.ts';
import { ConfigError } from './config.ts';
import { redactUrl } from './redact.ts';

const COMMANDS: Record<string, { run: (args: readonly string[]) => Promise<CommandResult>; help: string }> = {
  start: { run: startCommand, help: 'register the cycle schedule and run the workers (default)' },
  worker: { run: workerCommand, help: 'run the cycle and process-order workers (scale out freely)' },
  scheduler: { run: schedulerCommand, help: 'register or update the cycle schedule, then exit' },
  replay: { run: replayCommand, help: 'replay <orderId...>: process these orders now' },
  board: { run: boardCommand, help: 'Bull Board with replay and search by order id, behind basic auth' },
  sim: { run: simCommand, help: 'run the Order & Stock API simulator' },
  demo: { run: demoCommand, help: 'simulator + private Redis + all roles, with progress' },
  config: { run: configCommand, help: 'list every variable with its default and meaning [--json]' },
};

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
