import { markdownTable } from 'markdown-table';
import { SHIPPED_CONCURRENCY } from './config.ts';
import type { Environment } from './environment.ts';
import type { NeighbourReport } from './neighbours.ts';
import type { BenchSettings } from './settings.ts';
import { mb, ms, num, pct, range, sec, times } from './stats.ts';
import type { Summaries } from './summaries.ts';
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

const shape = (r: { concurrency: number; processes: number }) => `c${r.concurrency} ×${r.processes}`;

function header({ settings: st, environment: env, seconds }: ReportInput): string {
  const tree =
    env.uncommitted.length > 0 ? ` + ${env.uncommitted.length} uncommitted change(s) in src/ workers/ cli/` : '';
  return [
    `ordermanagement bench · ${env.cores} cores (${env.cpu}), ${env.memoryGb} GB · Node ${env.node} · Redis ${env.redis} · commit ${env.commit}${tree}`,
    `${st.runs} run(s) per figure: median (min–max); ratios are taken within each run, then their median. Took ${sec(seconds / 60)} min.`,
    `Workers are real processes (node ${shippedNodeOptions().join(' ')} cli/ordermanagement.ts worker, the image's Node options; telemetry off ` +
      `unless said), LOG_LEVEL=${st.logLevel}, ERROR_RATE=0, simulator errorRate 0, stock plentiful; otherwise as shipped: decreases ` +
      'serialized and coalesced per wood type, against a simulator that loses concurrent updates like the reference Stock API.',
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
    return `${x.latencyMs} ms: ${range(x.rate)} orders/s on ${subset ? `a ${num(x.orders)}-order subset${full}` : `all ${num(x.orders)} orders`}`;
  });
  return [
    `1. Throughput, orders/s, ${num(st.orders)} registered orders per run (clock: cycle schedule registered → no order registered)`,
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
    ...checks.map((c) => `${verdict(c.pass)}  ${c.target.padEnd(44)} ${c.measured}`),
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const parts = [
    header(input),
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
