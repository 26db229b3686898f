import { disturbed, type Outcome, values } from './outcome.ts';
import type { CapacityResult } from './scenarios/capacity.ts';
import type { FanOutResult } from './scenarios/fanout.ts';
import type { LatencyResult } from './scenarios/latency.ts';
import type { SlowdownResult } from './scenarios/slowdown.ts';
import type { StockLockResult } from './scenarios/stock-lock.ts';
import type { TelemetryResult } from './scenarios/telemetry.ts';
import type { SweepPoint, ThroughputResult } from './scenarios/throughput.ts';
import { type Summary, summarize } from './stats.ts';
import type { ThroughputRun } from './throughput-run.ts';

export interface Results {
  capacity?: CapacityResult;
  slowdown?: SlowdownResult;
  throughput?: ThroughputResult;
  stockLock?: StockLockResult;
  fanOut?: FanOutResult;
  latency?: LatencyResult;
  telemetry?: TelemetryResult;
}

export interface SweepRow extends SweepPoint {
  readonly om?: Summary;
  readonly bare?: Summary;
  readonly omOverBare?: Summary;
  readonly omOverSerial?: Summary;
  /** Largest worker VmHWM of a run, MB. */
  readonly omRssMb?: Summary;
  readonly bareRssMb?: Summary;
  readonly omRedisCallsPerOrder?: Summary;
  /** Cycles that enqueued at least one order before the run drained (paging with skip passes orders by). */
  readonly omCycles?: Summary;
  readonly bareRedisCallsPerOrder?: Summary;
  readonly failures: number;
  /** Runs of either side that overlapped another heavy program on the machine. */
  readonly disturbed: number;
}

export type CapacityClient = 'om' | 'naive' | 'bare' | 'putCapacity';

/** One client of the capacity scenario over its runs. */
export interface CapacityRow {
  readonly client: CapacityClient;
  readonly rate?: Summary;
  /** ordermanagement's rate over this client's, per run (absent on ordermanagement's own row). */
  readonly omOverThis?: Summary;
  /** GET, PUT and list requests the Order API served, per order. */
  readonly orderRequestsPerOrder?: Summary;
  readonly reads?: Summary;
  readonly writes?: Summary;
  readonly listings?: Summary;
  /** Runs whose stock fell by exactly what shipped, of those measured. */
  readonly exact: { exact: number; of: number };
  /** Runs where no blocked order would have fitted in its wood type's stock left at the end. */
  readonly blockedRight: { ok: number; of: number };
  readonly failures: number;
  readonly disturbed: number;
}

export interface Summaries {
  readonly capacity?: { orders: number; bareConcurrency: number; rows: CapacityRow[] };
  readonly slowdown?: SlowdownResult;
  readonly sweep: SweepRow[];
  readonly serial: { latencyMs: number; orders: number; rate?: Summary }[];
  /** Per latency, the worker shape with the highest median ordermanagement rate. */
  readonly best: SweepRow[];
  readonly stockLock: {
    latencyMs: number;
    concurrency: number;
    orders: number;
    on?: Summary;
    off?: Summary;
    onOverOff?: Summary;
    /** Runs whose stock fell by exactly the shipped quantities, of those measured. */
    onExact: { exact: number; of: number };
    offExact: { exact: number; of: number };
  }[];
  readonly fanOut?: {
    orders: number;
    seconds?: Summary;
    rate?: Summary;
    peakRssMb?: Summary;
    /** Largest heap in use after a major GC during the fan-out, MB. */
    liveMb?: Summary;
    /** Live heap, second-half max minus first-half max (runs where both halves had a major GC). */
    liveGrowthMb?: Summary;
    rssGrowthMb?: Summary;
    allFlat: boolean;
    judgedOn: string[];
    redisAfterFanOutMb?: Summary;
    processed?: {
      orders: number;
      seconds: number;
      redisUsedMemoryMb: number;
      redisKeys: number;
      completedOrderJobs: number;
    };
  };
  readonly latency?: { p50?: Summary; p95?: Summary; p99?: Summary; max?: Summary };
  /** Per latency of scenario 1, in that latency's best worker shape. */
  readonly telemetry: {
    latencyMs: number;
    concurrency: number;
    processes: number;
    off?: Summary;
    full?: Summary;
    ratio?: Summary;
    unsampled?: Summary;
    /** 1 − variant/off per run: every trace sampled, one cycle in ten, none. */
    fullCost?: Summary;
    ratioCost?: Summary;
    unsampledCost?: Summary;
    spansPerOrder?: Summary;
  }[];
  /** Worker processes' peak RSS by concurrency, over every ordermanagement run of scenario 1. */
  readonly workerRss: { concurrency: number; peakMb?: Summary; liveMb?: Summary; bareMb?: Summary }[];
  /** Measurements (runs of every scenario) that overlapped another heavy program, of all taken. */
  readonly disturbed: { count: number; of: number };
}

function allOutcomes(results: Results): Outcome<unknown>[] {
  const c = results.capacity;
  return [
    ...(c ? [...c.om, ...c.naive, ...c.bare, ...c.putCapacity] : []),
    ...(results.slowdown ? [results.slowdown.run] : []),
    ...(results.throughput?.serial ?? []).flatMap((s) => s.runs),
    ...(results.throughput?.sweep ?? []).flatMap((p) => [...p.om, ...p.bare]),
    ...(results.stockLock?.points ?? []).flatMap((p) => [...p.lockOn, ...p.lockOff]),
    ...(results.fanOut?.runs ?? []),
    ...(results.latency?.runs ?? []),
    ...(results.telemetry?.points ?? []).flatMap((p) => p.runs),
  ];
}

/** Per-run ratios of two series measured in the same runs; a run where either failed is left out. */
function ratios<A, B>(
  a: readonly Outcome<A>[],
  b: readonly Outcome<B>[],
  f: (a: A, b: B) => number,
): Summary | undefined {
  const out: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (x.ok && y?.ok) out.push(f(x.value, y.value));
  });
  return summarize(out);
}

const rate = (runs: readonly Outcome<ThroughputRun>[]) => summarize(values(runs).map((r) => r.ordersPerSecond));
const peakRss = (runs: readonly Outcome<ThroughputRun>[]) =>
  summarize(values(runs).map((r) => Math.max(...r.workerPeakRssMb)));
const calls = (runs: readonly Outcome<ThroughputRun>[]) =>
  summarize(values(runs).map((r) => r.redisCallsPerOrder?.total ?? Number.NaN));

const exactRuns = (runs: readonly Outcome<ThroughputRun>[]) => {
  const measured = values(runs);
  return { exact: measured.filter((r) => r.upstream?.stockExact).length, of: measured.length };
};

function summarizeCapacity(c: CapacityResult): NonNullable<Summaries['capacity']> {
  const clients: CapacityClient[] = ['om', 'naive', 'bare', 'putCapacity'];
  const rows = clients.map((client): CapacityRow => {
    const runs = c[client];
    const measured = values(runs);
    const perOrder = (pick: (u: NonNullable<ThroughputRun['upstream']>) => number) =>
      summarize(measured.map((r) => (r.upstream ? pick(r.upstream) / r.orders : Number.NaN)));
    return {
      client,
      rate: rate(runs),
      ...(client === 'om' ? {} : { omOverThis: ratios(c.om, runs, (om, x) => om.ordersPerSecond / x.ordersPerSecond) }),
      orderRequestsPerOrder: summarize(measured.map((r) => r.upstream?.orderRequestsPerOrder ?? Number.NaN)),
      reads: perOrder((u) => u.orderReads),
      writes: perOrder((u) => u.orderWrites),
      listings: perOrder((u) => u.orderListings),
      exact: exactRuns(runs),
      blockedRight: {
        ok: measured.filter((r) => r.upstream?.blockedWhileFitting === 0).length,
        of: measured.length,
      },
      failures: runs.filter((o) => !o.ok).length,
      disturbed: disturbed(runs),
    };
  });
  return { orders: c.orders, bareConcurrency: c.bareConcurrency, rows };
}

export function summarizeResults(results: Results): Summaries {
  const t = results.throughput;
  const serialBy = new Map((t?.serial ?? []).map((s) => [s.latencyMs, s]));
  const sweep: SweepRow[] = (t?.sweep ?? []).map((p) => ({
    latencyMs: p.latencyMs,
    concurrency: p.concurrency,
    processes: p.processes,
    om: rate(p.om),
    bare: rate(p.bare),
    omOverBare: ratios(p.om, p.bare, (om, bare) => om.ordersPerSecond / bare.ordersPerSecond),
    omOverSerial: ratios(
      p.om,
      serialBy.get(p.latencyMs)?.runs ?? [],
      (om, s) => om.ordersPerSecond / s.ordersPerSecond,
    ),
    omRssMb: peakRss(p.om),
    bareRssMb: peakRss(p.bare),
    omRedisCallsPerOrder: calls(p.om),
    omCycles: summarize(values(p.om).map((r) => r.cycles?.length ?? Number.NaN)),
    bareRedisCallsPerOrder: calls(p.bare),
    failures: [...p.om, ...p.bare].filter((o) => !o.ok).length,
    disturbed: disturbed([...p.om, ...p.bare]),
  }));
  const latencies = [...new Set(sweep.map((r) => r.latencyMs))];
  const best = latencies.flatMap((latencyMs) => {
    const rows = sweep.filter((r) => r.latencyMs === latencyMs && r.om !== undefined);
    rows.sort((a, b) => (b.om?.median ?? 0) - (a.om?.median ?? 0));
    return rows.slice(0, 1);
  });
  const concurrencies = [...new Set(sweep.map((r) => r.concurrency))];
  const workerRss = concurrencies.map((concurrency) => {
    const points = (t?.sweep ?? []).filter((p) => p.concurrency === concurrency);
    const runs = Math.max(0, ...points.map((p) => p.om.length));
    // Per run, the largest figure of any worker process of that concurrency; then the median over runs.
    const perRun = (side: 'om' | 'bare', pick: (r: ThroughputRun) => number[]) =>
      summarize(
        Array.from({ length: runs }, (_, i) =>
          Math.max(
            ...points.flatMap((p) => {
              const o = p[side][i];
              return o?.ok ? pick(o.value).filter((v) => Number.isFinite(v)) : [];
            }),
          ),
        ),
      );
    return {
      concurrency,
      peakMb: perRun('om', (r) => r.workerPeakRssMb),
      liveMb: perRun('om', (r) => r.workerLiveHeapMb ?? []),
      bareMb: perRun('bare', (r) => r.workerPeakRssMb),
    };
  });

  const f = results.fanOut;
  const fanRuns = values(f?.runs ?? []);
  const processed = fanRuns.find((r) => r.processed !== undefined)?.processed;
  const l = results.latency;
  const latRuns = values(l?.runs ?? []);
  return {
    ...(results.capacity ? { capacity: summarizeCapacity(results.capacity) } : {}),
    ...(results.slowdown ? { slowdown: results.slowdown } : {}),
    sweep,
    serial: (t?.serial ?? []).map((s) => ({ latencyMs: s.latencyMs, orders: s.orders, rate: rate(s.runs) })),
    best,
    stockLock: (results.stockLock?.points ?? []).map((p) => ({
      latencyMs: p.latencyMs,
      concurrency: p.concurrency,
      orders: p.orders,
      on: rate(p.lockOn),
      off: rate(p.lockOff),
      onOverOff: ratios(p.lockOn, p.lockOff, (on, off) => on.ordersPerSecond / off.ordersPerSecond),
      onExact: exactRuns(p.lockOn),
      offExact: exactRuns(p.lockOff),
    })),
    ...(f
      ? {
          fanOut: {
            orders: f.orders,
            seconds: summarize(fanRuns.map((r) => r.seconds)),
            rate: summarize(fanRuns.map((r) => r.ordersPerSecond)),
            peakRssMb: summarize(fanRuns.map((r) => r.peakRssMb)),
            liveMb: summarize(fanRuns.map((r) => Math.max(...r.majorGcs.map((g) => g.liveMb)))),
            liveGrowthMb: summarize(
              fanRuns.map((r) => (r.secondHalfLiveMb ?? Number.NaN) - (r.firstHalfLiveMb ?? Number.NaN)),
            ),
            rssGrowthMb: summarize(fanRuns.map((r) => r.secondHalfPeakMb - r.firstHalfPeakMb)),
            allFlat: fanRuns.length > 0 && fanRuns.every((r) => r.flat),
            judgedOn: [...new Set(fanRuns.map((r) => r.flatJudgedOn))],
            redisAfterFanOutMb: summarize(fanRuns.map((r) => r.redisAfterFanOutMb)),
            ...(processed ? { processed } : {}),
          },
        }
      : {}),
    ...(l
      ? {
          latency: {
            p50: summarize(latRuns.map((r) => r.p50Ms)),
            p95: summarize(latRuns.map((r) => r.p95Ms)),
            p99: summarize(latRuns.map((r) => r.p99Ms)),
            max: summarize(latRuns.map((r) => r.maxMs)),
          },
        }
      : {}),
    telemetry: (results.telemetry?.points ?? []).map((p) => {
      const runs = values(p.runs);
      return {
        latencyMs: p.latencyMs,
        concurrency: p.concurrency,
        processes: p.processes,
        off: summarize(runs.map((r) => r.off.ordersPerSecond)),
        full: summarize(runs.map((r) => r.full.ordersPerSecond)),
        ratio: summarize(runs.map((r) => r.ratio.ordersPerSecond)),
        unsampled: summarize(runs.map((r) => r.unsampled.ordersPerSecond)),
        fullCost: summarize(runs.map((r) => 1 - r.full.ordersPerSecond / r.off.ordersPerSecond)),
        ratioCost: summarize(runs.map((r) => 1 - r.ratio.ordersPerSecond / r.off.ordersPerSecond)),
        unsampledCost: summarize(runs.map((r) => 1 - r.unsampled.ordersPerSecond / r.off.ordersPerSecond)),
        spansPerOrder: summarize(runs.map((r) => r.received.spans / r.full.orders)),
      };
    }),
    workerRss,
    disturbed: { count: disturbed(allOutcomes(results)), of: allOutcomes(results).length },
  };
}
