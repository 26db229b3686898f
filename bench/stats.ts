/** A figure over several runs: the median, and the range it came from. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/** Nearest-rank percentile: always a value that was observed. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Orders per second and other counts: whole numbers, grouped; small ones keep a decimal. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.abs(n) < 100 ? n.toFixed(1) : grouped.format(n);
}

/** `median (min–max)`, or the single value of a one-run bench. */
export function range(s: Summary | undefined, fmt: (n: number) => string = num, unit = ''): string {
  if (s === undefined) return 'n/a';
  const median = `${fmt(s.median)}${unit}`;
  // A spread that rounds away (1.003–1.004 requests per order) is no spread worth printing.
  return s.n === 1 || fmt(s.min) === fmt(s.max) ? median : `${median} (${fmt(s.min)}–${fmt(s.max)})`;
}

export const times = (n: number): string => (n >= 10 ? `${n.toFixed(0)}×` : `${n.toFixed(2)}×`);
export const ms = (n: number): string => n.toFixed(0);
export const mb = (n: number): string => n.toFixed(0);
export const pct = (n: number): string => (n * 100).toFixed(1);
export const sec = (n: number): string => n.toFixed(1);
