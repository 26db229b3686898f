import { acceptLossCommand } from './accept-loss.ts';
import { boardCommand } from './board.ts';
import type { Command } from './command.ts';
import { configCommand } from './config.ts';
import { demoCommand } from './demo.ts';
import { replayCommand } from './replay.ts';
import { schedulerCommand } from './scheduler.ts';
import { simCommand } from './sim.ts';
import { startCommand } from './start.ts';
import { workerCommand } from './worker.ts';

/** Every `ordermanagement <command>`: the CLI dispatches on it, the image and compose file run them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  start: startCommand,
  worker: workerCommand,
  scheduler: schedulerCommand,
  replay: replayCommand,
  board: boardCommand,
  sim: simCommand,
  demo: demoCommand,
  config: configCommand,
  'accept-loss': acceptLossCommand,
};
