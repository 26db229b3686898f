import type { Summary } from './stats.ts';

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
  return s.n === 1 || s.min === s.max ? median : `${median} (${fmt(s.min)}–${fmt(s.max)})`;
}

export const times = (n: number): string => (n >= 10 ? `${n.toFixed(0)}×` : `${n.toFixed(2)}×`);
export const ms = (n: number): string => n.toFixed(0);
export const mb = (n: number): string => n.toFixed(0);
export const pct = (n: number): string => (n * 100).toFixed(1);
export const sec = (n: number): string => n.toFixed(1);
