import type { FormatTypes } from './formats.ts';
import { shown } from './load.ts';
import { type Config, type ConfigKey, SCHEMA, SETTING_GROUPS, type SettingGroup } from './schema.ts';

export interface ConfigEntry {
  readonly variable: string;
  readonly default: string;
  /** The current value, secrets redacted. */
  readonly value: string;
  readonly doc: string;
}

/** A setting as its variable spells it: what loadConfig reads back to the same value. */
function variableText(config: Config, key: ConfigKey): string {
  const current: unknown = config[key];
  if (current === undefined) return '';
  if (typeof current !== 'object' || current === null) return String(current);
  return Object.entries(current as FormatTypes['stock-spec'])
    .map(([type, quantity]) => `${type}=${quantity}`)
    .join(',');
}

/**
 * The environment that reproduces `config` in another process (a worker a test or the bench
 * spawns): every variable, secrets included.
 */
export function configEnv(config: Config): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(SCHEMA) as ConfigKey[]).map((key) => [SCHEMA[key].env, variableText(config, key)]),
  );
}

/** The variables of `groups` (all by default) with default, current value (secrets redacted) and meaning. */
export function describeConfig(
  config: Config,
  groups: readonly SettingGroup[] = Object.keys(SETTING_GROUPS) as SettingGroup[],
): ConfigEntry[] {
  const keys = groups.flatMap((group) => Object.keys(SETTING_GROUPS[group]) as ConfigKey[]);
  return keys.map((key) => ({
    variable: SCHEMA[key].env,
    default: String(SCHEMA[key].default),
    value: shown(key, variableText(config, key)),
    doc: SCHEMA[key].doc,
  }));
}

/** The variables as a Markdown table, the one README.md carries (a test keeps the two equal). */
export function configMarkdown(entries: readonly ConfigEntry[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| Variable | Default | Meaning |',
    '| --- | --- | --- |',
    ...entries.map((e) => `| \`${e.variable}\` | \`${cell(e.default || '(empty)')}\` | ${cell(e.doc)} |`),
  ].join('\n');
}
