import { readdirSync, readFileSync } from 'node:fs';
import type { RedisConnection } from './connection.ts';

/**
 * The project's Lua scripts, one command per file in `commands/` (shared fragments in
 * `commands/includes/`, pulled in by a `--- @include "name"` line), as BullMQ lays out its own: a
 * script is read, linted and diffed as Lua. Each is defined on a connection with ioredis'
 * defineCommand, which sends it by SHA and loads it again after a Redis restart or failover.
 */
const DIR = new URL('./commands/', import.meta.url);
const INCLUDE = /^--- @include "([\w-]+)"$/gm;

function read(path: URL): string {
  return readFileSync(path, 'utf8');
}

/** A script with its includes in place, each fragment once. */
function resolve(source: string, seen: Set<string> = new Set()): string {
  return source.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    return resolve(read(new URL(`includes/${name}.lua`, DIR)), seen);
  });
}

const SOURCES = new Map(
  readdirSync(DIR)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => [file.slice(0, -'.lua'.length), resolve(read(new URL(file, DIR)))]),
);

/** The commands there are, by file name. */
export type CommandName =
  | 'extendLock'
  | 'jobsExist'
  | 'ledgerAcceptLoss'
  | 'ledgerBegin'
  | 'ledgerFlagTakenTwice'
  | 'ledgerJoinEpoch'
  | 'ledgerLoseEpoch'
  | 'ledgerMarkInDoubt'
  | 'ledgerReadOrder'
  | 'ledgerSettle'
  | 'recordListing'
  | 'releaseLock';

const defined = new WeakSet<RedisConnection>();

type Callable = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Runs a command of `commands/` with its keys and arguments; every command takes a variable number of keys. */
export function runCommand(
  redis: RedisConnection,
  name: CommandName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [command, lua] of SOURCES) redis.defineCommand(command, { lua });
    defined.add(redis);
  }
  // defineCommand adds the method at run time; ioredis' types cannot know it.
  const command = (redis as unknown as Record<CommandName, Callable>)[name];
  return command.call(redis, keys.length, ...keys, ...args);
}

/** A command's source with its includes resolved, for tests that read what runs. */
export function commandSource(name: string): string | undefined {
  return SOURCES.get(name);
}
