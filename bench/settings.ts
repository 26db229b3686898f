/** What one `npm run bench` measures, read from BENCH_* variables so a quick run needs no code change. */
export interface BenchSettings {
  readonly quick: boolean;
  readonly runs: number;
  /** Registered orders per run of the capacity scenario (each client on a fresh capacity-modelled simulator). */
  readonly capacityOrders: number;
  /** The slowdown scenario: seconds at the model's speed, ten times slower, and at its speed again. */
  readonly slowdownSeconds: { readonly before: number; readonly slow: number; readonly after: number };
  /** Registered orders per throughput run. */
  readonly orders: number;
  /** Simulator latencies (ms) the throughput scenario is run at. */
  readonly latencies: readonly number[];
  /** Latencies the lock and telemetry comparisons run at: all of them, or the first in a quick run. */
  readonly comparisonLatencies: readonly number[];
  readonly concurrencies: readonly number[];
  readonly processCounts: readonly number[];
  /** The serial baseline runs on a subset: at 20 ms a full N would take a quarter of an hour. */
  readonly serialOrders: (latencyMs: number) => number;
  /** Orders one cycle fans out in the fan-out scenario (and then processes, for Redis memory). */
  readonly fanOut: number;
  /** After the first fan-out, process its orders and read Redis's memory (BENCH_FANOUT_DRAIN=0 skips it). */
  readonly fanOutDrain: boolean;
  /** Orders per run of the stock-lock comparison: with the lock on, a full N would take minutes a run. */
  readonly lockOrders: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly seed: number;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly scenarios: ReadonlySet<string>;
  readonly outDir: string;
  /** Directory for worker CPU profiles (`node --cpu-prof`), one subdirectory per kind of worker; empty: none. */
  readonly cpuProfDir: string;
  /** Extra Node flags for every worker process, ordermanagement's and the bare ceiling's (`--max-old-space-size=96`). */
  readonly workerNodeFlags: string[];
  /** Worker variables on top of the bench's defaults (BENCH_WORKER_ENV="PAGE_SIZE=1000 LOG_LEVEL=info"). */
  readonly workerEnv: Record<string, string>;
  /** Directory for the full output of every worker process (with LOG_LEVEL, --trace-gc...); empty: kept in memory only. */
  readonly workerLogDir: string;
}

export const SCENARIOS = ['capacity', 'slowdown', 'throughput', 'lock', 'fanout', 'latency', 'telemetry'] as const;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, got "${text}"`);
  return value;
}

function ints(env: NodeJS.ProcessEnv, name: string, fallback: readonly number[], min = 1): number[] {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return [...fallback];
  return text.split(',').map((part) => int({ [name]: part }, name, 0, min));
}

function pairs(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const entries = (env[name] ?? '')
    .split(/\s+/)
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      if (at <= 0) throw new Error(`${name}: "${part}" is not NAME=value`);
      return [part.slice(0, at), part.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  // Quick: every scenario once, small, in under two minutes on 2 cores (each measurement costs a few
  // seconds of start-up whatever its size, so quick runs fewer of them).
  const orders = int(env, 'BENCH_ORDERS', quick ? 1000 : 20_000);
  const serialFast = int(env, 'BENCH_SERIAL_ORDERS_FAST', quick ? 500 : 5000);
  const serialSlow = int(env, 'BENCH_SERIAL_ORDERS_SLOW', quick ? 50 : 300);
  const latencies = ints(env, 'BENCH_LATENCIES', [0, 20], 0);
  const scenarios = (env.BENCH_SCENARIOS?.trim() || SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`BENCH_SCENARIOS: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    }
  }
  const logLevel = env.BENCH_LOG_LEVEL?.trim() || 'warn';
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel))
    throw new Error('BENCH_LOG_LEVEL: error, warn, info or debug');
  const phases = ints(env, 'BENCH_SLOWDOWN_SECONDS', quick ? [5, 8, 5] : [20, 30, 30]);
  const [before, slow, after] = phases;
  if (phases.length !== 3 || before === undefined || slow === undefined || after === undefined)
    throw new Error('BENCH_SLOWDOWN_SECONDS: three whole numbers, before,slow,after (e.g. 20,30,30)');
  return {
    quick,
    capacityOrders: int(env, 'BENCH_CAPACITY_ORDERS', quick ? 400 : 2000),
    slowdownSeconds: { before, slow, after },
    runs: quick ? 1 : int(env, 'BENCH_RUNS', 3),
    orders,
    latencies,
    comparisonLatencies: quick ? latencies.slice(0, 1) : latencies,
    concurrencies: ints(env, 'BENCH_CONCURRENCY', quick ? [500] : [100, 500]),
    processCounts: ints(env, 'BENCH_PROCESSES', quick ? [1] : [1, 2]),
    // A few thousand orders at 0 ms and a few hundred at 20 ms already give a steady rate.
    serialOrders: (latencyMs) => Math.min(orders, latencyMs === 0 ? serialFast : serialSlow),
    fanOut: int(env, 'BENCH_FANOUT', quick ? 5000 : 100_000),
    fanOutDrain: env.BENCH_FANOUT_DRAIN !== '0',
    lockOrders: Math.min(orders, int(env, 'BENCH_LOCK_ORDERS', orders)),
    latencyRate: int(env, 'BENCH_LATENCY_RATE', 50),
    latencySeconds: int(env, 'BENCH_LATENCY_SECONDS', quick ? 3 : 20),
    seed: int(env, 'BENCH_SEED', 42, 0),
    logLevel: logLevel as BenchSettings['logLevel'],
    scenarios: new Set(scenarios),
    outDir: env.BENCH_OUT?.trim() || 'bench-results',
    cpuProfDir: env.BENCH_CPU_PROF?.trim() ?? '',
    workerLogDir: env.BENCH_WORKER_LOGS?.trim() ?? '',
    workerEnv: pairs(env, 'BENCH_WORKER_ENV'),
    workerNodeFlags: (env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}
