import convict from 'convict';
import { isWoodType, type WoodType } from './domain/order.ts';
import { redactUrl } from './redact.ts';

/**
 * Every setting of ordermanagement, read from the environment once at start.
 * Each key's `env` is the variable a user sets; `doc` and `default` are what
 * `ordermanagement config` prints, so this schema is the single place they live.
 */
const schema = {
  redisUrl: {
    doc: 'Redis connection URL (redis:// or rediss://); a password in it is never logged.',
    format: 'redis-url',
    sensitive: true,
    default: 'redis://127.0.0.1:6379',
    env: 'REDIS_URL',
  },
  redisClusterNodes: {
    doc: 'Redis Cluster seed nodes as host:port,host:port; credentials and TLS still come from REDIS_URL. QUEUE_PREFIX must hold a {hash tag}.',
    format: 'node-list',
    default: '',
    env: 'REDIS_CLUSTER_NODES',
  },
  redisSentinels: {
    doc: 'Redis Sentinels as host:port,host:port; the master is REDIS_SENTINEL_NAME; credentials and TLS come from REDIS_URL.',
    format: 'node-list',
    default: '',
    env: 'REDIS_SENTINELS',
  },
  redisSentinelName: {
    doc: 'Name of the master the Sentinels watch.',
    format: String,
    default: 'mymaster',
    env: 'REDIS_SENTINEL_NAME',
  },
  ordersUrl: {
    doc: 'Base URL of the Order API.',
    format: 'http-url',
    default: 'http://order:5000',
    env: 'API_URL_ORDERS',
  },
  stocksUrl: {
    doc: 'Base URL of the Stock API.',
    format: 'http-url',
    default: 'http://stock:5001',
    env: 'API_URL_STOCKS',
  },
  intervalSeconds: {
    doc: 'Seconds between two cycles (the job scheduler interval).',
    format: 'positive-number',
    default: 5,
    env: 'INTERVAL_SECONDS',
  },
  errorRate: {
    doc: 'Probability (0..1) that a process-order attempt fails on purpose before any I/O.',
    format: 'probability',
    default: 0.1,
    env: 'ERROR_RATE',
  },
  cycleErrorRate: {
    doc: 'Probability (0..1) that a cycle attempt fails on purpose before any I/O.',
    format: 'probability',
    default: 0.1,
    env: 'CYCLE_ERROR_RATE',
  },
  randomSeed: {
    doc: 'Seed for the simulated failures; empty draws a fresh seed per process.',
    format: 'optional-int',
    default: '',
    env: 'RANDOM_SEED',
  },
  logLevel: {
    doc: 'Log level: error, warn, info, debug.',
    format: ['error', 'warn', 'info', 'debug'],
    default: 'info',
    env: 'LOG_LEVEL',
  },
  concurrency: {
    doc: 'process-order jobs one worker process runs at once.',
    format: 'positive-int',
    default: 500,
    env: 'WORKER_CONCURRENCY',
  },
  httpTimeoutMs: {
    doc: 'The most one request to the Order or Stock API may take, in ms, from connecting to the last byte of the answer.',
    format: 'positive-int',
    default: 5000,
    env: 'HTTP_TIMEOUT_MS',
  },
  httpConnections: {
    doc: 'Keep-alive connections per upstream (Order API, Stock API) and worker process; more than WORKER_CONCURRENCY are never used.',
    format: 'positive-int',
    default: 256,
    env: 'HTTP_CONNECTIONS',
  },
  attempts: {
    doc: 'Attempts per job (cycle and process-order) before it fails for good.',
    format: 'positive-int',
    default: 5,
    env: 'RETRY_ATTEMPTS',
  },
  backoffMs: {
    doc: 'Base delay in ms of the exponential, jittered backoff between attempts.',
    format: 'non-negative-int',
    default: 1000,
    env: 'RETRY_BACKOFF_MS',
  },
  backoffMaxMs: {
    doc: 'Longest delay in ms between two attempts, however many attempts came before.',
    format: 'non-negative-int',
    default: 60000,
    env: 'RETRY_BACKOFF_MAX_MS',
  },
  serializeDecreases: {
    doc: 'Take stock one decrease per wood type at a time across all replicas (the reference Stock API loses concurrent updates); false for atomic upstreams.',
    format: 'boolean-text',
    default: 'true',
    env: 'SERIALIZE_STOCK_DECREASES',
  },
  stockIdempotencyKeys: {
    doc: 'Does the Stock API honour Idempotency-Key? ignored (the reference services): a decrease of unknown outcome fails for a person to decide; honoured: it is sent again.',
    format: ['ignored', 'honoured'],
    default: 'ignored',
    env: 'STOCK_IDEMPOTENCY_KEYS',
  },
  stockLockWaitMs: {
    doc: 'How long a decrease waits for its wood type lock before the attempt fails and is retried.',
    format: 'positive-int',
    default: 30000,
    env: 'STOCK_LOCK_WAIT_MS',
  },
  stockLockLeaseMs: {
    doc: "How long a wood type's lock outlives a holder that vanished mid-call; renewed before each request, so it must outlast one (HTTP_TIMEOUT_MS plus a second).",
    format: 'positive-int',
    default: 15000,
    env: 'STOCK_LOCK_LEASE_MS',
  },
  ledgerKeepSeconds: {
    doc: 'How long the decrease ledger keeps what it knows of an order once its stock call is settled; at least as long as any job is kept. Entries in doubt or waiting for a person are kept until settled.',
    format: 'non-negative-int',
    default: 30 * 24 * 3600,
    env: 'LEDGER_KEEP_SECONDS',
  },
  backpressureRatio: {
    doc: 'Backpressure: when at least this share of the last 30 s of upstream calls failed (and 20 or more did), cycles add only BACKPRESSURE_PROBE_ORDERS orders; 0 turns it off.',
    format: 'probability',
    default: 0.8,
    env: 'BACKPRESSURE_FAILURE_RATIO',
  },
  backpressureProbe: {
    doc: 'Backpressure: orders a throttled cycle still adds, to see whether the upstream is back.',
    format: 'positive-int',
    default: 10,
    env: 'BACKPRESSURE_PROBE_ORDERS',
  },
  orderRereadAfterMs: {
    doc: 'An order its cycle listed less than this many ms ago is processed as listed; an older one (a backlog, a late retry) is read again first, so a status changed meanwhile is seen. 0 reads every order again.',
    format: 'non-negative-int',
    default: 10000,
    env: 'ORDER_REREAD_AFTER_MS',
  },
  pageSize: {
    doc: 'Orders fetched per page from the Order API (sent as limit); larger pages mean fewer list requests per cycle and fewer orders passed by while workers ship.',
    format: 'page-size',
    default: 1000,
    env: 'PAGE_SIZE',
  },
  queuePrefix: {
    doc: 'Redis key prefix of the queues; the braces make a Redis Cluster hash tag.',
    format: 'queue-prefix',
    default: '{ordermanagement}',
    env: 'QUEUE_PREFIX',
  },
  keepCompletedSeconds: {
    doc: 'How long finished (completed) jobs stay visible before they are removed.',
    format: 'non-negative-int',
    default: 3600,
    env: 'KEEP_COMPLETED_SECONDS',
  },
  keepCompletedCount: {
    doc: 'At most this many completed jobs are kept per queue.',
    format: 'non-negative-int',
    default: 10000,
    env: 'KEEP_COMPLETED_COUNT',
  },
  keepFailedSeconds: {
    doc: 'How long failed jobs stay in the failed set for replay.',
    format: 'non-negative-int',
    default: 7 * 24 * 3600,
    env: 'KEEP_FAILED_SECONDS',
  },
  jobLockMs: {
    doc: "How long a worker's lock on a job lasts (renewed while it runs); a job whose worker died is picked up by another after about this long. At least HTTP_TIMEOUT_MS plus a second.",
    format: 'positive-int',
    default: 30000,
    env: 'JOB_LOCK_MS',
  },
  jobMaxStalls: {
    doc: 'How often a job may be picked up again after its worker vanished before it fails for good (the ledger makes a rerun safe).',
    format: 'non-negative-int',
    default: 10,
    env: 'JOB_MAX_STALLS',
  },
  shutdownTimeoutMs: {
    doc: 'On SIGTERM/SIGINT, how long active jobs may take to finish before the process exits anyway.',
    format: 'positive-int',
    default: 30000,
    env: 'SHUTDOWN_TIMEOUT_MS',
  },
  healthHost: {
    doc: 'Address of the /livez and /readyz endpoints of worker processes (0.0.0.0 for Kubernetes probes).',
    format: 'host',
    default: '127.0.0.1',
    env: 'HEALTH_HOST',
  },
  healthPort: {
    doc: 'Port of the /livez and /readyz endpoints of worker processes; 0 turns them off.',
    format: 'port',
    default: 0,
    env: 'HEALTH_PORT',
  },
  boardHost: {
    doc: 'Board: listen address. Anything but loopback requires BOARD_USER and BOARD_PASSWORD.',
    format: 'host',
    default: '127.0.0.1',
    env: 'BOARD_HOST',
  },
  boardPort: {
    doc: 'Board: port of Bull Board, replay/search API and health endpoints.',
    format: 'port',
    default: 3000,
    env: 'BOARD_PORT',
  },
  boardUser: {
    doc: 'Board: basic-auth user name (with BOARD_PASSWORD; both empty means no authentication, loopback only).',
    format: String,
    default: '',
    env: 'BOARD_USER',
  },
  boardPassword: {
    doc: 'Board: basic-auth password; never logged.',
    format: String,
    default: '',
    env: 'BOARD_PASSWORD',
    sensitive: true,
  },
  boardReadOnly: {
    doc: 'Board: read-only mode; retry, remove, pause and replay answer 405.',
    format: 'boolean-text',
    default: 'false',
    env: 'BOARD_READ_ONLY',
  },
  boardBasePath: {
    doc: 'Board: path prefix it is served under, e.g. /board behind a reverse proxy that keeps the prefix.',
    format: 'base-path',
    default: '/',
    env: 'BOARD_BASE_PATH',
  },
  metricsHost: {
    doc: 'Address of the Prometheus /metrics endpoint.',
    format: 'host',
    default: '127.0.0.1',
    env: 'METRICS_HOST',
  },
  metricsPort: {
    doc: 'Port of the Prometheus /metrics endpoint (needs the telemetry preload); 0 turns it off.',
    format: 'port',
    default: 0,
    env: 'METRICS_PORT',
  },
  traceOrders: {
    doc: "How an order's trace relates to its cycle's: child (one trace per cycle) or link (one trace per order, linked).",
    format: ['child', 'link'],
    default: 'child',
    env: 'TRACE_ORDERS',
  },
  simHost: {
    doc: 'Simulator: address the Order and Stock APIs listen on.',
    format: 'host',
    default: '127.0.0.1',
    env: 'SIM_HOST',
  },
  simOrderPort: {
    doc: 'Simulator: port of the Order API (0 picks a free one).',
    format: 'port',
    default: 5000,
    env: 'SIM_ORDER_PORT',
  },
  simStockPort: {
    doc: 'Simulator: port of the Stock API (0 picks a free one).',
    format: 'port',
    default: 5001,
    env: 'SIM_STOCK_PORT',
  },
  simErrorRate: {
    doc: 'Simulator: probability (0..1) that a request fails on purpose, as the reference services do.',
    format: 'probability',
    default: 0.1,
    env: 'SIM_ERROR_RATE',
  },
  simLatencyMs: {
    doc: 'Simulator: delay added to every answer, in ms.',
    format: 'non-negative-int',
    default: 0,
    env: 'SIM_LATENCY_MS',
  },
  simNonAtomic: {
    doc: 'Simulator: decrease stock without a lock, losing concurrent updates like the reference Stock API.',
    format: 'boolean-text',
    default: 'false',
    env: 'SIM_NON_ATOMIC',
  },
  simOrders: {
    doc: 'Simulator: registered orders created at start, of random wood types and quantities 1-10.',
    format: 'non-negative-int',
    default: 0,
    env: 'SIM_ORDERS',
  },
  simStock: {
    doc: 'Simulator: initial stock, as type=quantity pairs; a type left out has no stock row.',
    format: 'stock-spec',
    default: 'oak=100000,maple=100000,birch=100000,elm=100000,pine=100000',
    env: 'SIM_STOCK',
  },
  demoOrders: {
    doc: 'Demo: registered orders to seed (one wood type gets no stock, one too little).',
    format: 'non-negative-int',
    default: 1000,
    env: 'DEMO_ORDERS',
  },
} as const;

export interface Config {
  readonly redisUrl: string;
  readonly redisClusterNodes: string;
  readonly redisSentinels: string;
  readonly redisSentinelName: string;
  readonly ordersUrl: string;
  readonly stocksUrl: string;
  readonly intervalSeconds: number;
  readonly errorRate: number;
  readonly cycleErrorRate: number;
  readonly randomSeed: number | undefined;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly concurrency: number;
  readonly httpTimeoutMs: number;
  readonly httpConnections: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly serializeDecreases: boolean;
  readonly stockIdempotencyKeys: 'ignored' | 'honoured';
  readonly stockLockWaitMs: number;
  readonly stockLockLeaseMs: number;
  readonly ledgerKeepSeconds: number;
  readonly backpressureRatio: number;
  readonly backpressureProbe: number;
  readonly orderRereadAfterMs: number;
  readonly pageSize: number;
  readonly queuePrefix: string;
  readonly keepCompletedSeconds: number;
  readonly keepCompletedCount: number;
  readonly keepFailedSeconds: number;
  readonly jobLockMs: number;
  readonly jobMaxStalls: number;
  readonly shutdownTimeoutMs: number;
  readonly healthHost: string;
  readonly healthPort: number;
  readonly boardHost: string;
  readonly boardPort: number;
  readonly boardUser: string;
  readonly boardPassword: string;
  readonly boardReadOnly: boolean;
  readonly boardBasePath: string;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly traceOrders: 'child' | 'link';
  readonly simHost: string;
  readonly simOrderPort: number;
  readonly simStockPort: number;
  readonly simErrorRate: number;
  readonly simLatencyMs: number;
  readonly simNonAtomic: boolean;
  readonly simOrders: number;
  readonly simStock: Readonly<Partial<Record<WoodType, number>>>;
  readonly demoOrders: number;
}

export type ConfigKey = keyof typeof schema;

/** Thrown when the environment holds a value that cannot be used; lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

const isInt = (text: string): boolean => /^-?\d+$/.test(text.trim());

function urlProblem(value: unknown, protocols: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return 'is not a URL';
  }
  if (!protocols.includes(url.protocol)) {
    return `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  }
  return url.hostname === '' ? 'has no host' : undefined;
}

/** Plain decimal notation only: `Number()` would also take `0x10`, `1e3` and `Infinity`. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

function numberProblem(value: unknown, integer: boolean, min: number, max: number): string | undefined {
  const text = String(value).trim();
  const n = Number(text);
  if (!DECIMAL.test(text) || !Number.isFinite(n)) return 'must be a number';
  if (integer && !isInt(text)) return 'must be a whole number';
  if (n < min || n > max) return `must be between ${min} and ${max}`;
  return undefined;
}

/** `oak=100,pine=5`: each wood type at most once, quantities whole and non-negative. */
export function parseStockSpec(text: string): Partial<Record<WoodType, number>> {
  const stock: Partial<Record<WoodType, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [type, quantity, extra] = part.split('=').map((p) => p.trim());
    if (!isWoodType(type)) throw new Error(`"${type}" is not a wood type (oak, maple, birch, elm, pine)`);
    if (extra !== undefined || quantity === undefined || !/^\d+$/.test(quantity)) {
      throw new Error(`"${part}" must be type=quantity with a whole quantity`);
    }
    if (type in stock) throw new Error(`${type} is given twice`);
    stock[type] = Number(quantity);
  }
  return stock;
}

function stockSpecProblem(value: unknown): string | undefined {
  try {
    parseStockSpec(String(value));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : value;

interface Format {
  problem(value: unknown): string | undefined;
  coerce(value: unknown): unknown;
}

const formats: Record<string, Format> = {
  'redis-url': { problem: (v) => urlProblem(v, ['redis:', 'rediss:']), coerce: String },
  'http-url': {
    problem: (v) => urlProblem(v, ['http:', 'https:']),
    coerce: (v) => String(v).replace(/\/+$/, ''),
  },
  probability: { problem: (v) => numberProblem(v, false, 0, 1), coerce: toNumber },
  'positive-number': { problem: (v) => numberProblem(v, false, 0.001, 86_400), coerce: toNumber },
  'positive-int': { problem: (v) => numberProblem(v, true, 1, 1_000_000), coerce: toNumber },
  'non-negative-int': { problem: (v) => numberProblem(v, true, 0, 1_000_000_000), coerce: toNumber },
  'page-size': { problem: (v) => numberProblem(v, true, 1, 10_000), coerce: toNumber },
  'optional-int': {
    problem: (v) => (v === '' ? undefined : numberProblem(v, true, 0, 2 ** 32 - 1)),
    coerce: (v) => (String(v).trim() === '' ? '' : toNumber(v)),
  },
  port: { problem: (v) => numberProblem(v, true, 0, 65_535), coerce: toNumber },
  host: {
    problem: (v) => (/^[A-Za-z0-9.:_-]+$/.test(String(v)) ? undefined : 'must be a host name or IP address'),
    coerce: String,
  },
  'boolean-text': {
    problem: (v) => (['true', 'false', '1', '0'].includes(String(v)) ? undefined : 'must be true or false'),
    coerce: String,
  },
  'stock-spec': { problem: stockSpecProblem, coerce: String },
  'node-list': {
    problem: (v) =>
      String(v)
        .split(',')
        .map((node) => node.trim())
        .filter((node) => node !== '')
        .every((node) => /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(node))
        ? undefined
        : 'must be host:port pairs separated by commas',
    coerce: (v) => String(v).trim(),
  },
  'base-path': {
    problem: (v) => (/^\/([A-Za-z0-9._~-]+\/?)*$/.test(String(v)) ? undefined : 'must be a path such as / or /board'),
    coerce: (v) => String(v).replace(/\/+$/, '') || '/',
  },
  'queue-prefix': {
    problem: (v) =>
      /^[A-Za-z0-9_{}-]{1,64}$/.test(String(v)) ? undefined : 'must be 1-64 letters, digits, _, -, { or }',
    coerce: String,
  },
};

for (const [name, format] of Object.entries(formats)) {
  convict.addFormat({
    name,
    validate(value: unknown) {
      const message = format.problem(value);
      if (message !== undefined) throw new Error(message);
    },
    coerce: format.coerce,
  });
}

const envNames = Object.fromEntries(Object.entries(schema).map(([key, spec]) => [key, spec.env])) as Record<
  ConfigKey,
  string
>;

/** convict reports `key: problem: value was "x"`; users set variables, so name the variable instead. */
function toProblems(message: string, env: NodeJS.ProcessEnv): string[] {
  return message.split('\n').map((line) => {
    const match = /^(\w+): (.*?)(?:: value was .*)?$/.exec(line);
    const key = match?.[1] as ConfigKey | undefined;
    if (key === undefined || !(key in schema)) return line;
    const variable = envNames[key];
    const raw = env[variable] ?? '';
    return `${variable}: ${match?.[2]} (got ${JSON.stringify(key === 'redisUrl' ? redactUrl(raw) : raw)})`;
  });
}

/** Prefixes only this project's variables use: a variable under one that is not in the schema is a typo. */
const FAMILIES = [
  'REDIS_',
  'API_URL_',
  'SIM_',
  'BOARD_',
  'RETRY_',
  'HEALTH_',
  'METRICS_',
  'BACKPRESSURE_',
  'STOCK_',
  'KEEP_',
  'DEMO_',
  'WORKER_',
  'CYCLE_',
  'INTERVAL_',
  'TRACE_',
  'SERIALIZE_',
  'JOB_',
  'LEDGER_',
];

/** A misspelt variable would silently leave its default in force; name it, and the one meant. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(Object.values(envNames));
  return Object.keys(env)
    .filter((name) => !known.has(name) && FAMILIES.some((family) => name.startsWith(family)))
    .map((name) => {
      const closest = [...known].sort((a, b) => distance(name, a) - distance(name, b))[0] as string;
      return `${name}: is not a setting of ordermanagement${distance(name, closest) <= 3 ? `; did you mean ${closest}?` : ''}`;
    });
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** A request may take this long after HTTP_TIMEOUT_MS before its upstream is surely done with it. */
const REQUEST_MARGIN_MS = 1000;

/**
 * Settings that are each valid but do not go together: a lock that can run out while a request it
 * covers is in flight lets a second holder send beside it, and a ledger that forgets an order while
 * a job for it is still kept lets that job's replay decrease again.
 */
function pairingProblems(config: Config): string[] {
  const problems = topologyProblems(config.redisClusterNodes, config.redisSentinels, config.queuePrefix);
  const request = config.httpTimeoutMs + REQUEST_MARGIN_MS;
  if (config.jobLockMs < request) {
    problems.push(
      `JOB_LOCK_MS: must be at least HTTP_TIMEOUT_MS + ${REQUEST_MARGIN_MS} = ${request} (got ${config.jobLockMs})`,
    );
  }
  if (config.stockLockLeaseMs < request) {
    problems.push(
      `STOCK_LOCK_LEASE_MS: must be at least HTTP_TIMEOUT_MS + ${REQUEST_MARGIN_MS} = ${request} (got ${config.stockLockLeaseMs})`,
    );
  }
  const longestJob = Math.max(config.keepFailedSeconds, config.keepCompletedSeconds);
  if (config.ledgerKeepSeconds < longestJob) {
    problems.push(
      `LEDGER_KEEP_SECONDS: must be at least KEEP_FAILED_SECONDS and KEEP_COMPLETED_SECONDS = ${longestJob} (got ${config.ledgerKeepSeconds})`,
    );
  }
  return problems;
}

/** Redis topologies that cannot work together. */
function topologyProblems(clusterNodes: string, sentinels: string, prefix: string): string[] {
  const problems: string[] = [];
  if (clusterNodes !== '' && sentinels !== '') {
    problems.push('REDIS_CLUSTER_NODES and REDIS_SENTINELS: set one of them, not both');
  }
  // BullMQ's scripts touch several keys of a queue at once; on a Cluster they must share a slot.
  if (clusterNodes !== '' && !/\{[^{}]+\}/.test(prefix)) {
    problems.push(`QUEUE_PREFIX: must hold a {hash tag} on a Redis Cluster (got ${JSON.stringify(prefix)})`);
  }
  return problems;
}

/**
 * Reads the configuration from `env` (the process environment by default) and validates every value.
 * @throws ConfigError naming each offending variable and what is wrong with it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const store = convict(schema, { env: env as Record<string, string> });
  try {
    store.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(toProblems((error as Error).message, env));
  }
  const unknown = unknownVariables(env);
  if (unknown.length > 0) throw new ConfigError(unknown);
  const { randomSeed, simNonAtomic, boardReadOnly, serializeDecreases, simStock, ...rest } = store.getProperties();
  const config = Object.freeze({
    ...rest,
    randomSeed: randomSeed === '' ? undefined : Number(randomSeed),
    simNonAtomic: ['true', '1'].includes(String(simNonAtomic)),
    boardReadOnly: ['true', '1'].includes(String(boardReadOnly)),
    serializeDecreases: ['true', '1'].includes(String(serializeDecreases)),
    simStock: Object.freeze(parseStockSpec(simStock)),
  }) as Config;
  const problems = pairingProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export interface ConfigEntry {
  readonly variable: string;
  readonly default: string;
  readonly value: string;
  readonly doc: string;
}

/** Every variable with its default, its current value (secrets redacted) and its meaning. */
/** A setting as its variable spells it: what loadConfig would read back to the same value. */
function variableText(config: Config, key: ConfigKey): string {
  const current = config[key];
  return typeof current === 'object'
    ? Object.entries(current)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : String(current ?? '');
}

/**
 * The environment that reproduces `config` in another process (a worker a test or the bench
 * spawns): every variable, secrets included.
 */
export function configEnv(config: Config): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(schema) as ConfigKey[]).map((key) => [envNames[key], variableText(config, key)]),
  );
}

export function describeConfig(config: Config): ConfigEntry[] {
  return (Object.keys(schema) as ConfigKey[]).map((key) => {
    const text = variableText(config, key);
    return {
      variable: envNames[key],
      default: String(schema[key].default),
      value: key === 'redisUrl' ? redactUrl(text) : key === 'boardPassword' && text !== '' ? '***' : text,
      doc: schema[key].doc,
    };
  });
}
