import convict from 'convict';
import { closest, distance } from 'fastest-levenshtein';
import { ConfigError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { otelProblems } from '../telemetry/selection.ts';
import { FORMATS } from './formats.ts';
import { type Config, type ConfigKey, SCHEMA } from './schema.ts';

/** Thrown when the environment holds a value that cannot be used; lists every problem. */
for (const [name, format] of Object.entries(FORMATS)) {
  convict.addFormat({
    name,
    validate(value: unknown) {
      const message = format.problem(value);
      if (message !== undefined) throw new Error(message);
    },
    coerce: (value: string) => format.coerce(value),
  });
}

const ENV_NAMES = Object.fromEntries(Object.entries(SCHEMA).map(([key, spec]) => [key, spec.env])) as Record<
  ConfigKey,
  string
>;
const KNOWN = new Set(Object.values(ENV_NAMES));

/** A value as it may be shown: a sensitive URL keeps all but its password, other secrets nothing. */
export function shown(key: ConfigKey, text: string): string {
  const spec: { sensitive?: boolean; format: unknown } = SCHEMA[key];
  if (!spec.sensitive || text === '') return text;
  return typeof spec.format === 'string' && spec.format.endsWith('-url') ? redactUrl(text) : '***';
}

/** convict reports `key: problem: value was "x"`; users set variables, so name the variable instead. */
function toProblems(message: string, env: NodeJS.ProcessEnv): string[] {
  return message.split('\n').map((line) => {
    const match = /^(\w+): (.*?)(?:: value was .*)?$/.exec(line);
    const key = match?.[1] as ConfigKey | undefined;
    if (key === undefined || !(key in SCHEMA)) return line;
    const variable = ENV_NAMES[key];
    return `${variable}: ${match?.[2]} (got ${JSON.stringify(shown(key, env[variable] ?? ''))})`;
  });
}

/** The first words of this project's variables: a variable under one that is not a setting may be a typo. */
const FAMILIES = [
  ...new Set(
    [...KNOWN].map((name) => {
      const [first] = name.split('_');
      return `${first}_`;
    }),
  ),
];

/**
 * Kubernetes gives every pod variables for each Service in its namespace (a Service named redis:
 * `REDIS_PORT=tcp://10.0.0.5:6379`, `REDIS_SERVICE_HOST=10.0.0.5`, ...). They share our prefixes,
 * and a Service named board or metrics even spells one of our settings (`BOARD_PORT=tcp://…`), but
 * they are not settings: recognised by name and value together, they are left alone, so one Service
 * cannot stop every pod of the namespace at start.
 */
const SERVICE_LINK = [
  { name: /_PORT$/, value: /^(tcp|udp|sctp):\/\/[^\s/]+:\d+$/ },
  { name: /_PORT_\d+_(TCP|UDP|SCTP)$/, value: /^(tcp|udp|sctp):\/\/[^\s/]+:\d+$/ },
  { name: /_PORT_\d+_(TCP|UDP|SCTP)_PROTO$/, value: /^(tcp|udp|sctp)$/ },
  { name: /_PORT_\d+_(TCP|UDP|SCTP)_PORT$/, value: /^\d+$/ },
  { name: /_PORT_\d+_(TCP|UDP|SCTP)_ADDR$/, value: /^[0-9a-fA-F.:]+$/ },
  { name: /_SERVICE_HOST$/, value: /^[0-9a-fA-F.:]+$/ },
  { name: /_SERVICE_PORT(_[A-Z0-9_]+)?$/, value: /^\d+$/ },
];
const isServiceLink = (name: string, value: string): boolean =>
  SERVICE_LINK.some((link) => link.name.test(name) && link.value.test(value));

/**
 * A misspelt variable would silently leave its default in force; name it, and the one meant. Only a
 * near miss counts (REDIS_URI, REDIS_PORT): the first words are common ones, and HTTP_PROXY or
 * Kubernetes' JOB_COMPLETION_INDEX belong to someone else.
 */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => !KNOWN.has(name) && FAMILIES.some((family) => name.startsWith(family)))
    .map((name) => ({ name, meant: closest(name, [...KNOWN]) }))
    .filter(({ name, meant }) => distance(name, meant) <= Math.max(3, Math.floor(name.length * 0.4)))
    .map(({ name, meant }) => `${name}: is not a setting of ordermanagement; did you mean ${meant}?`);
}

/** The ledger keeps a settled order at least this long: jobs asking about it refresh it, but not faster. */
const LEDGER_MIN_KEEP_SECONDS = 3600;

/** A request may take this long after HTTP_TIMEOUT_MS before its upstream is surely done with it. */
export const REQUEST_MARGIN_MS = 1000;

/**
 * Settings that are each valid but do not go together: a lock that can run out while a request it
 * covers is in flight lets a second holder send beside it, a ledger that forgets an order while a
 * job for it is still kept lets that job's replay decrease again, and Redis topologies exclude each other.
 */
function pairingProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.redisClusterNodes !== '' && config.redisSentinels !== '') {
    problems.push('REDIS_CLUSTER_NODES and REDIS_SENTINELS: set one of them, not both');
  }
  // BullMQ's scripts touch several keys of a queue at once; on a Cluster they must share a slot.
  if (config.redisClusterNodes !== '' && !/\{[^{}]+\}/.test(config.queuePrefix)) {
    problems.push(
      `QUEUE_PREFIX: must hold a {hash tag} on a Redis Cluster (got ${JSON.stringify(config.queuePrefix)})`,
    );
  }
  const request = config.httpTimeoutMs + REQUEST_MARGIN_MS;
  for (const [variable, value] of [
    ['JOB_LOCK_MS', config.jobLockMs],
    ['STOCK_LOCK_LEASE_MS', config.stockLockLeaseMs],
  ] as const) {
    if (value < request) {
      problems.push(`${variable}: must be at least HTTP_TIMEOUT_MS + ${REQUEST_MARGIN_MS} = ${request} (got ${value})`);
    }
  }
  const longestJob = Math.max(config.keepFailedSeconds, config.keepCompletedSeconds, LEDGER_MIN_KEEP_SECONDS);
  if (config.ledgerKeepSeconds < longestJob) {
    problems.push(
      `LEDGER_KEEP_SECONDS: must be at least an hour, KEEP_FAILED_SECONDS and KEEP_COMPLETED_SECONDS = ${longestJob} (got ${config.ledgerKeepSeconds})`,
    );
  }
  return problems;
}

/**
 * Reads the configuration from `env` (the process environment by default) and validates every value.
 * @throws ConfigError naming each offending variable and what is wrong with it.
 */
export function loadConfig(given: NodeJS.ProcessEnv = process.env): Config {
  const env = Object.fromEntries(Object.entries(given).filter(([name, value]) => !isServiceLink(name, value ?? '')));
  // convict's schema type cannot express formats registered at run time; the values are checked below.
  const store = convict(SCHEMA as unknown as convict.Schema<Config>, { env: env as Record<string, string> });
  try {
    store.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(toProblems((error as Error).message, env));
  }
  const misnamed = [...unknownVariables(env), ...otelProblems(env)];
  if (misnamed.length > 0) throw new ConfigError(misnamed);
  const values: Record<string, unknown> = store.getProperties();
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const finish = typeof spec.format === 'string' ? FORMATS[spec.format].finish : undefined;
    if (finish) values[key] = finish(String(values[key]));
  }
  const config = Object.freeze(values) as Config;
  const problems = pairingProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
