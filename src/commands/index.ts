import { boardCommand } from './board.ts';
import { configCommand } from './config.ts';
import type { CommandResult } from './context.ts';
import { demoCommand } from './demo.ts';
import { replayCommand } from './replay.ts';
import { schedulerCommand } from './scheduler.ts';
import { simCommand } from './sim.ts';
import { startCommand } from './start.ts';
import { workerCommand } from './worker.ts';

export interface Command {
  run(args: readonly string[]): Promise<CommandResult>;
  readonly help: string;
}

/** Every `ordermanagement <command>`: the CLI dispatches on it, the image and compose file run them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  start: { run: startCommand, help: 'register the cycle schedule and run the workers (default)' },
  worker: { run: workerCommand, help: 'run the cycle and process-order workers (scale out freely)' },
  scheduler: { run: schedulerCommand, help: 'register or update the cycle schedule, then exit' },
  replay: { run: replayCommand, help: 'replay <orderId...>: process these orders now' },
  board: { run: boardCommand, help: 'Bull Board with replay and search by order id, behind basic auth' },
  sim: { run: simCommand, help: 'run the Order & Stock API simulator' },
  demo: { run: demoCommand, help: 'simulator + private Redis + all roles, with progress' },
  config: { run: configCommand, help: 'list every variable with its default and meaning [--json]' },
};
