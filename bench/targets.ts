import type { Summaries } from './summaries.ts';

export interface TargetCheck {
  readonly target: string;
  /** What was measured, in words, with the figure the verdict rests on. */
  readonly measured: string;
  /** undefined: not measured in this run (scenario skipped or every run failed). */
  readonly pass: boolean | undefined;
}

const fixed = (n: number, digits: number) => n.toFixed(digits);

/** Issue 19's targets, in the shipped defaults against the capacity model. */
function capacityTargets(s: Summaries): TargetCheck[] {
  const rows = s.capacity?.rows ?? [];
  const row = (client: string) => rows.find((r) => r.client === client);
  const om = row('om');
  const checks: TargetCheck[] = [];
  for (const [client, name, min] of [
    ['putCapacity', 'the PUT capacity', 0.85],
    ['naive', 'the naive lane client', 1.3],
  ] as const) {
    const ratio = row(client)?.omOverThis?.median;
    checks.push({
      target: `capacity model: ≥ ${min} × ${name}`,
      measured: ratio === undefined ? 'not measured' : `${fixed(ratio, 2)}× (median of per-run ratios)`,
      pass: ratio === undefined ? undefined : ratio >= min,
    });
  }
  const requests = om?.orderRequestsPerOrder?.max;
  checks.push({
    target: 'capacity model: ≤ 1.1 Order-API requests/order',
    measured: requests === undefined ? 'not measured' : `${fixed(requests, 2)} in the worst run`,
    pass: requests === undefined ? undefined : requests <= 1.1,
  });
  const right = om !== undefined && om.exact.of > 0;
  checks.push({
    target: 'capacity model: stock exact, none blocked wrongly',
    measured: right
      ? `stock exact in ${om.exact.exact} of ${om.exact.of} runs, no order blocked while it fitted in ${om.blockedRight.ok} of ${om.blockedRight.of}`
      : 'not measured',
    pass: right ? om.exact.exact === om.exact.of && om.blockedRight.ok === om.blockedRight.of : undefined,
  });
  return checks;
}

/**
 * The issue's targets for this 2-core machine, judged on medians. Throughput targets are judged on the
 * worker shape with the best median rate at that latency: the shape an operator would deploy.
 */
export function checkTargets(s: Summaries): TargetCheck[] {
  const checks: TargetCheck[] = [...capacityTargets(s)];
  for (const latencyMs of [0, 20]) {
    const best = s.best.find((b) => b.latencyMs === latencyMs);
    const ratio = best?.omOverBare?.median;
    checks.push({
      target: `throughput ≥ 0.7 × bare ceiling at ${latencyMs} ms`,
      measured:
        ratio === undefined || best === undefined
          ? 'not measured'
          : `${fixed(ratio, 3)}× (best shape c${best.concurrency} ×${best.processes})`,
      pass: ratio === undefined ? undefined : ratio >= 0.7,
    });
  }
  for (const lock of s.stockLock) {
    const ratio = lock.onOverOff?.median;
    const exact = lock.onExact.of > 0 && lock.onExact.exact === lock.onExact.of;
    checks.push({
      target: `lock on ≥ 0.7 × lock off at ${lock.latencyMs} ms, stock exact`,
      measured:
        ratio === undefined
          ? 'not measured'
          : `${fixed(ratio, 2)}×, stock exact in ${lock.onExact.exact} of ${lock.onExact.of} runs`,
      pass: ratio === undefined ? undefined : ratio >= 0.7 && exact,
    });
  }
  const best20 = s.best.find((b) => b.latencyMs === 20);
  const serialRatio = best20?.omOverSerial?.median;
  checks.push({
    target: 'throughput ≥ 150 × serial at 20 ms',
    measured:
      serialRatio === undefined || best20 === undefined
        ? 'not measured'
        : `${fixed(serialRatio, 0)}× (c${best20.concurrency} ×${best20.processes} vs serial subset)`,
    pass: serialRatio === undefined ? undefined : serialRatio >= 150,
  });
  const fan = s.fanOut;
  const fanSeconds = fan?.seconds?.median;
  checks.push({
    target: `${fan?.orders ?? 100_000} fan-out ≤ 10 s with flat memory`,
    measured:
      fan === undefined || fanSeconds === undefined
        ? 'not measured'
        : `${fixed(fanSeconds, 1)} s, memory ${fan.allFlat ? 'flat' : 'NOT flat'} (on ${fan.judgedOn.join(' / ')}: ` +
          `2nd half − 1st half ${fixed((fan.liveGrowthMb ?? fan.rssGrowthMb)?.median ?? Number.NaN, 0)} MB)`,
    pass: fan === undefined || fanSeconds === undefined ? undefined : fanSeconds <= 10 && fan.allFlat,
  });
  const rss500 = s.workerRss.find((w) => w.concurrency === 500)?.peakMb?.median;
  checks.push({
    target: 'worker RSS ≤ 256 MB at concurrency 500',
    measured: rss500 === undefined ? 'not measured' : `${fixed(rss500, 0)} MB peak (VmHWM)`,
    pass: rss500 === undefined ? undefined : rss500 <= 256,
  });
  // Judged at every latency measured: a cost met only where the upstream's latency hides it is not met.
  for (const [name, limit, pick] of [
    ['nothing sampled', 0.05, (t: Summaries['telemetry'][number]) => t.unsampledCost],
    ['10 % of orders sampled', 0.08, (t: Summaries['telemetry'][number]) => t.ratioCost],
    ['everything traced', 0.2, (t: Summaries['telemetry'][number]) => t.fullCost],
  ] as const) {
    const costs = s.telemetry.flatMap((t) => {
      const cost = pick(t);
      return cost ? [{ latencyMs: t.latencyMs, median: cost.median }] : [];
    });
    checks.push({
      target: `telemetry, ${name}: cost ≤ ${limit * 100} %`,
      measured:
        costs.length === 0
          ? 'not measured'
          : `${costs.map((c) => `${fixed(c.median * 100, 1)} % at ${c.latencyMs} ms`).join(', ')} fewer orders/s`,
      pass: costs.length === 0 ? undefined : costs.every((c) => c.median <= limit),
    });
  }
  return checks;
}
