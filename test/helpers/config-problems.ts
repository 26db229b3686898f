import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

/** The problems loadConfig reports for `env`; throws if it accepts the environment. */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
