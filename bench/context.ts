import type { Redis } from 'ioredis';
import type { RedisServer } from '../cli/redis-server.ts';
import type { Logger } from '../src/logger.ts';
import type { NeighbourWatch } from './neighbours.ts';
import type { Progress } from './progress.ts';
import type { BenchSettings } from './settings.ts';

/** What every scenario gets: the settings, the bench's own Redis (and a client to inspect it), the progress bar. */
export interface BenchContext {
  readonly settings: BenchSettings;
  readonly redis: RedisServer;
  /** For INFO and FLUSHALL: the bench owns this Redis, so a run empties it when done. */
  readonly admin: Redis;
  readonly progress: Progress;
  /** Other heavy programs on the machine: each measurement notes whether one overlapped it. */
  readonly neighbours: NeighbourWatch;
  readonly logger: Logger;
}
