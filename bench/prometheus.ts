/** One series' value in a Prometheus text exposition. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a text exposition (comments and malformed lines skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** GETs a /metrics endpoint; undefined when it does not answer within `timeoutMs` (not up yet, busy). */
export async function scrape(url: string, timeoutMs: number): Promise<PromSample[] | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? parsePrometheus(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** The value of the one series of `name` whose labels include `labels`. */
export function seriesValue(
  samples: readonly PromSample[],
  name: string,
  labels: Record<string, string>,
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** A histogram's cumulative bucket counts by upper bound, summed over the series whose labels include `labels`. */
export function buckets(
  samples: readonly PromSample[],
  name: string,
  labels: Record<string, string>,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    counts.set(le, (counts.get(le) ?? 0) + s.value);
  }
  return counts;
}

/**
 * A quantile of what a histogram counted between two scrapes (cumulative buckets, `before` possibly
 * empty), interpolated linearly inside its bucket as Prometheus' histogram_quantile does; undefined
 * when nothing was counted in between.
 */
export function quantileBetween(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  q: number,
): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = delta.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const count = delta[i] as number;
    if (count < rank) continue;
    const upper = bounds[i] as number;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const below = i === 0 ? 0 : (delta[i - 1] as number);
    if (!Number.isFinite(upper)) return lower;
    return lower + ((upper - lower) * (rank - below)) / Math.max(count - below, 1e-9);
  }
  return undefined;
}
