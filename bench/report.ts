import { markdownTable } from 'markdown-table';
import { SHIPPED_CONCURRENCY } from './config.ts';
import type { Environment } from './environment.ts';
import type { NeighbourReport } from './neighbours.ts';
import type { BenchSettings } from './settings.ts';
import { mb, ms, num, pct, range, sec, times } from './stats.ts';
import type { CapacityClient, Summaries } from './summaries.ts';
import type { TargetCheck } from './targets.ts';
import { shippedNodeOptions } from './worker-process.ts';

export interface ReportInput {
  readonly settings: BenchSettings;
  readonly environment: Environment;
  readonly summaries: Summaries;
  readonly targets: readonly TargetCheck[];
  readonly neighbours: NeighbourReport;
  readonly seconds: number;
}

/**
 * A Markdown table, so the report pastes into docs as it is: labels left-aligned, figures right, and
 * blank lines around it (without them the text that follows would read as more rows).
 */
function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const align = header.map((_, i) => (i < leftColumns ? 'l' : 'r'));
  return `\n${markdownTable([header, ...rows], { align })}\n`;
}

const count = (n: number) => n.toLocaleString('en-US');

const shape = (r: { concurrency: number; processes: number }) => `c${r.concurrency} ×${r.processes}`;

function header({ settings: st, environment: env, seconds }: ReportInput): string {
  const tree =
    env.uncommitted.length > 0 ? ` + ${env.uncommitted.length} uncommitted change(s) in src/ workers/ cli/` : '';
  return [
    `ordermanagement bench · ${env.cores} cores (${env.cpu}), ${env.memoryGb} GB · Node ${env.node} · Redis ${env.redis} · commit ${env.commit}${tree}`,
    `${st.runs} run(s) per figure: median (min–max); ratios are taken within each run, then their median. Took ${sec(seconds / 60)} min. ` +
      `Load average when it began: ${env.loadAverage.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min).`,
    `In 1–5 (the fast simulator) workers are real processes (node ${shippedNodeOptions().join(' ')} cli/ordermanagement.ts worker, the image's Node options; telemetry off ` +
      `unless said), LOG_LEVEL=${st.logLevel}, ERROR_RATE=0, simulator errorRate 0, stock plentiful; otherwise as shipped: decreases ` +
      'serialized and coalesced per wood type, against a simulator that loses concurrent updates like the reference Stock API.',
  ].join('\n');
}

const CLIENT_LABELS: Record<CapacityClient, (bareConcurrency: number) => string> = {
  om: () => 'ordermanagement start, shipped defaults, 1 process',
  naive: () => 'naive exact client: 5 lanes, POST then PUT',
  bare: (c) => `bare BullMQ c${c} ×1: POST + PUT per order`,
  putCapacity: () => 'PUT capacity: each order PUT once, 16 at a time',
};

const fraction = ({ ok, of }: { ok: number; of: number }) => `${ok}/${of}`;

function capacity({ summaries: s }: ReportInput): string {
  const c = s.capacity;
  if (c === undefined) return 'A. Capacity model: not run';
  const rows = c.rows.map((r) => {
    // The PUT-capacity client takes no stock: stock and blocked orders say nothing about it.
    const takesStock = r.client !== 'putCapacity';
    return [
      CLIENT_LABELS[r.client](c.bareConcurrency),
      range(r.rate),
      r.omOverThis ? range(r.omOverThis, times) : '',
      `${range(r.orderRequestsPerOrder, (n) => n.toFixed(2))} (${[r.reads, r.writes, r.listings].map((x) => range(x, (n) => n.toFixed(2))).join(' / ')})`,
      takesStock ? `${r.exact.exact}/${r.exact.of}` : '–',
      takesStock ? fraction(r.blockedRight) : '–',
      [r.failures > 0 ? `${r.failures} failed` : '', r.disturbed > 0 ? `${r.disturbed} disturbed` : '']
        .filter((x) => x !== '')
        .join(', '),
    ];
  });
  return [
    `A. Capacity model: orders/s against the reference services' capacity, ${num(c.orders)} registered orders per run, each client on a fresh simulator`,
    table(
      [
        'client',
        'orders/s',
        'om ÷ client',
        'Order-API requests/order (GET / PUT / list)',
        'stock exact',
        'no order blocked while it fitted',
        'note',
      ],
      rows,
    ),
    'Simulator: referenceCapacity() (one request at a time per API, in 5 ms turns: GET /orders/<id> 2.1 ms, PUT 5.5 ms, POST /stocks/decrease',
    '8.5 ms, a page 1 ms + 0.012 ms per order; each connection closed after its answer), decreases not atomic, no simulated',
    "failures, the demo's stock (oak, maple, pine: exactly their demand; birch: half; elm: none). Clock: from spawning the",
    'process until no order is registered, start-up included. ordermanagement: node <image options> cli/ordermanagement.ts',
    `start with only Redis, the two URLs and ERROR_RATE=CYCLE_ERROR_RATE=0 set (telemetry on, nothing exported, LOG_LEVEL info,`,
    `a cycle every 5 s). The naive client and the PUT capacity are plain fetch scripts; bare BullMQ as in 1, its start-up timed.`,
    '"no order blocked while it fitted": every blocked order asks more than its wood type had left at the end.',
  ].join('\n');
}

function slowdown({ summaries: s }: ReportInput): string {
  const d = s.slowdown;
  if (d === undefined) return 'B. Slowdown: not run';
  const { before, slow, after } = d.seconds;
  const title = `B. Slowdown: ordermanagement start (shipped defaults) on the capacity model, every service time ×${d.factor} from ${before} s to ${before + slow} s, ${after} s after`;
  if (!d.run.ok) return `${title}\nfailed: ${d.run.error}`;
  const { samples, orders, missedScrapes } = d.run.value;
  const step = Math.max(1, Math.ceil(samples.length / 45));
  const lim = (
    r: { limit: number; inFlight: number; queued: number } | undefined,
    key: 'limit' | 'inFlight' | 'queued',
  ) => (r === undefined ? '–' : String(Math.round(r[key])));
  const rows = samples
    .filter((x) => x.t % step === 0)
    .map((x) => [
      String(x.t),
      `×${x.slowdown}`,
      String(x.ordersPerSecond),
      lim(x.order, 'limit'),
      lim(x.order, 'inFlight'),
      lim(x.order, 'queued'),
      x.orderPutP50Ms === undefined ? '–' : x.orderPutP50Ms.toFixed(0),
      lim(x.stock, 'limit'),
      lim(x.stock, 'inFlight'),
    ]);
  const phase = (from: number, to: number) => {
    const part = samples.filter((x) => x.t > from && x.t <= to);
    return part.length === 0 ? 0 : part.reduce((sum, x) => sum + x.ordersPerSecond, 0) / part.length;
  };
  return [
    title,
    table(
      [
        's',
        'upstream',
        'orders/s',
        'Order API limit',
        'in flight',
        'queued',
        'PUT p50 ms',
        'Stock API limit',
        'in flight',
      ],
      rows,
      2,
    ),
    `${step > 1 ? `Every ${step} s of ${samples.length}; all in results.json and slowdown.svg. ` : ''}Backlog ${num(orders)} registered orders; scraped from the worker's /metrics every second (${missedScrapes} scrapes unanswered).`,
    `Mean orders/s: ${num(phase(0, before))} before (start-up included), ${num(phase(before, before + slow))} while ×${d.factor}, ${num(phase(before + slow, before + slow + after))} after.`,
    "PUT p50: median answer time of PUT /orders/<id> in that second, from the worker's ordermanagement_upstream_request_duration_seconds histogram",
    '(interpolated within its buckets: 0.1–0.25 s is one bucket).',
  ].join('\n');
}

function throughput({ summaries: s, settings: st }: ReportInput): string {
  if (s.sweep.length === 0) return '1. Throughput: not run';
  const rows = s.sweep.map((r) => [
    `${r.latencyMs} ms`,
    shape(r),
    range(r.om),
    range(r.bare),
    range(r.omOverBare, times),
    range(r.omOverSerial, times),
    `${range(r.omRssMb, mb)} / ${range(r.bareRssMb, mb)}`,
    `${range(r.omRedisCallsPerOrder, num)} / ${range(r.bareRedisCallsPerOrder, num)}`,
    range(r.omCycles, (n) => n.toFixed(0)),
    [r.failures > 0 ? `${r.failures} failed` : '', r.disturbed > 0 ? `${r.disturbed} disturbed` : '']
      .filter((x) => x !== '')
      .join(', '),
  ]);
  const serial = s.serial.map((x) => {
    const subset = x.orders < st.orders;
    const full = x.rate ? ` (all ${num(st.orders)} would take ~${sec(st.orders / x.rate.median / 60)} min)` : '';
    return `${x.latencyMs} ms: ${range(x.rate)} orders/s on ${subset ? `a ${count(x.orders)}-order subset${full}` : `all ${count(x.orders)} orders`}`;
  });
  return [
    `1. Throughput on the fast simulator (no capacity model), orders/s, ${num(st.orders)} registered orders per run (clock: cycle schedule registered → no order registered)`,
    table(
      [
        'latency',
        'shape',
        'ordermanagement',
        'bare BullMQ',
        'om/bare',
        'om/serial',
        'worker RSS MB om / bare',
        'Redis cmds/order om / bare',
        'om cycles',
        'note',
      ],
      rows,
      2,
    ),
    'shape: WORKER_CONCURRENCY × worker processes. bare: plain BullMQ Queue+Worker processes; the bench adds one job per order',
    '(addBulk, timed, like the fan-out) and each job only does POST /stocks/decrease + PUT /orders/<id>. om/serial: against the',
    'serial baseline of the same run. Redis cmds/order: INFO commandstats over the timed part, Lua-internal calls included.',
    'om cycles: cycles that enqueued orders before none was left (each cycle pages with skip and passes some orders by).',
    `serial baseline (original loop: one order at a time, decrease then PUT): ${serial.join('; ')}`,
  ].join('\n');
}

function stockLock({ summaries: s }: ReportInput): string {
  if (s.stockLock.length === 0) return '1b. Stock lock: not run';
  const rows = s.stockLock.map((p) => [
    `${p.latencyMs} ms`,
    `c${p.concurrency} ×1`,
    num(p.orders),
    range(p.on),
    `${p.onExact.exact}/${p.onExact.of}`,
    range(p.off),
    `${p.offExact.exact}/${p.offExact.of}`,
    range(p.onOverOff, times),
  ]);
  return [
    '1b. Decreases serialized and coalesced per wood type (SERIALIZE_STOCK_DECREASES=true, shipped) vs not, orders/s,',
    '    back to back in each run, on the non-atomic simulator; "exact": runs whose stock fell by exactly what shipped',
    table(['latency', 'shape', 'orders', 'lock on (default)', 'exact', 'lock off', 'exact', 'on/off'], rows, 2),
  ].join('\n');
}

function fanOut({ summaries: s }: ReportInput): string {
  const f = s.fanOut;
  if (f === undefined) return '2. Fan-out: not run';
  return [
    `2. Fan-out: one cycle enqueues ${num(f.orders)} registered orders (orders queue paused; one worker process)`,
    table(
      [
        'time s',
        'jobs/s',
        'worker peak RSS MB',
        'RSS 2nd − 1st half MB',
        'live heap after major GC MB',
        'live 2nd − 1st half MB',
        'flat',
        'Redis used_memory MB',
      ],
      [
        [
          range(f.seconds, sec),
          range(f.rate),
          range(f.peakRssMb, mb),
          range(f.rssGrowthMb, mb),
          range(f.liveMb, mb),
          range(f.liveGrowthMb, mb),
          f.allFlat ? 'yes' : 'no',
          range(f.redisAfterFanOutMb, mb),
        ],
      ],
      0,
    ),
    `flat: judged on ${f.judgedOn.join(' / ')} (live heap: largest heap in use after a major GC, from --trace-gc; ` +
      'resident memory also counts what V8 reserved and has not given back).',
  ].join('\n');
}

function latency({ summaries: s, settings: st }: ReportInput): string {
  const l = s.latency;
  if (l === undefined) return '3. Latency: not run';
  return [
    `3. Latency, registration → shipped, ms: ${st.latencyRate} orders/s for ${st.latencySeconds} s, a cycle every 1 s, one worker process c${SHIPPED_CONCURRENCY}, simulator 0 ms`,
    table(['p50', 'p95', 'p99', 'max'], [[range(l.p50, ms), range(l.p95, ms), range(l.p99, ms), range(l.max, ms)]], 0),
  ].join('\n');
}

function memory({ summaries: s }: ReportInput): string {
  if (s.workerRss.length === 0 && s.fanOut?.processed === undefined) return '4. Memory: not run';
  const lines = ['4. Memory'];
  for (const w of s.workerRss) {
    lines.push(
      `concurrency ${w.concurrency}: ordermanagement worker peak RSS (VmHWM) ${range(w.peakMb, mb, ' MB')}, of which live heap after ` +
        `a major GC at most ${range(w.liveMb, mb, ' MB')}; bare worker peak RSS ${range(w.bareMb, mb, ' MB')}`,
    );
  }
  lines.push(
    "(largest figure of a run's scenario-1 worker processes of that concurrency, both latencies, 1 and 2 processes)",
  );
  const p = s.fanOut?.processed;
  lines.push(
    p
      ? `Redis used_memory after the ${num(p.orders)} fanned-out orders were processed (default retention; run 1 only, ${sec(p.seconds)} s to process): ${mb(p.redisUsedMemoryMb)} MB, ${num(p.redisKeys)} keys, ${num(p.completedOrderJobs)} completed order jobs kept`
      : 'Redis used_memory after processing: not measured',
  );
  return lines.join('\n');
}

function telemetry({ summaries: s }: ReportInput): string {
  if (s.telemetry.length === 0) return '5. Telemetry: not run';
  const rows = s.telemetry.map((t) => [
    `${t.latencyMs} ms`,
    shape(t),
    range(t.off),
    `${range(t.full)} (${range(t.fullCost, pct, ' %')})`,
    `${range(t.ratio)} (${range(t.ratioCost, pct, ' %')})`,
    `${range(t.unsampled)} (${range(t.unsampledCost, pct, ' %')})`,
    range(t.spansPerOrder, (n) => n.toFixed(1)),
  ]);
  return [
    '5. Telemetry, orders/s (cost against off): off (OTEL_SDK_DISABLED), every trace exported over OTLP/HTTP (JSON) to',
    '   a local receiver, one order in ten sampled (parentbased_traceidratio 0.1 with TRACE_ORDERS=link: a run here is one',
    '   cycle, so sampling cycles would be all or nothing), nothing sampled (always_off);',
    "   each latency in scenario 1's best shape (or the largest concurrency, 1 process)",
    table(['latency', 'shape', 'off', 'all sampled', '10 % sampled', 'none sampled', 'spans/order'], rows, 2),
  ].join('\n');
}

function targets({ targets: checks }: ReportInput): string {
  const verdict = (pass: boolean | undefined) => (pass === undefined ? 'n/a ' : pass ? 'PASS' : 'MISS');
  return [
    'Targets (this 2-core machine)',
    ...checks.map((c) => `${verdict(c.pass)}  ${c.target.padEnd(50)} ${c.measured}`),
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const parts = [
    header(input),
    capacity(input),
    slowdown(input),
    throughput(input),
    stockLock(input),
    fanOut(input),
    latency(input),
    memory(input),
    telemetry(input),
    targets(input),
  ];
  const { neighbours: n, summaries: s } = input;
  if (n.busyChecks > 0) {
    parts.push(
      `WARNING: other heavy programs ran in ${n.busyChecks} of ${n.checks} checks (every 2 s); ${s.disturbed.count} of ` +
        `${s.disturbed.of} measurements overlapped them (in results.json: disturbedBy), so those figures are skewed:\n` +
        n.programs.map((p) => `  ${p}`).join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}
