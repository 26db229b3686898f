import type { ConfigOf } from './setting.ts';
import { cycleSettings } from './settings/cycles.ts';
import { jobSettings } from './settings/jobs.ts';
import { redisSettings } from './settings/redis.ts';
import { boardSettings, healthSettings } from './settings/serve.ts';
import { demoSettings, simSettings } from './settings/sim.ts';
import { stockSettings } from './settings/stock.ts';
import { telemetrySettings } from './settings/telemetry.ts';
import { upstreamSettings } from './settings/upstream.ts';

/** The settings by concern: each command's help lists the groups it reads. */
export const SETTING_GROUPS = {
  redis: redisSettings,
  upstream: upstreamSettings,
  stock: stockSettings,
  cycles: cycleSettings,
  jobs: jobSettings,
  health: healthSettings,
  telemetry: telemetrySettings,
  board: boardSettings,
  sim: simSettings,
  demo: demoSettings,
} as const;

export type SettingGroup = keyof typeof SETTING_GROUPS;

/** Every setting of ordermanagement, read from the environment once at start. */
export const SCHEMA = {
  ...redisSettings,
  ...upstreamSettings,
  ...stockSettings,
  ...cycleSettings,
  ...jobSettings,
  ...healthSettings,
  ...telemetrySettings,
  ...boardSettings,
  ...simSettings,
  ...demoSettings,
} as const;

export type ConfigKey = keyof typeof SCHEMA;
export type Config = ConfigOf<typeof SCHEMA>;
