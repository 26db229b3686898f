import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger, type Logger } from '../../src/logger.ts';

/** What every command starts from: the validated configuration and a logger scoped to the role. */
export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
}

export function createContext(role: string, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const config = loadConfig(env);
  return { config, logger: createLogger(config.logLevel, { role }) };
}
