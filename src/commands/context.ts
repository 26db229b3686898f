import { type Config, loadConfig } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';

/** What every command starts from: the validated configuration and a logger scoped to the role. */
export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
}

export function createContext(role: string, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const config = loadConfig(env);
  return { config, logger: createLogger(config.logLevel, { role }) };
}

/** A command's exit code, or `running` for a long-lived role that exits on a signal. */
export type CommandResult = number | 'running';

/** A command line that cannot be run as typed; the CLI prints it with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
