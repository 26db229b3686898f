import type { Summary } from './stats.ts';
import type { Summaries } from './summaries.ts';

const PANEL_WIDTH = 440;
const PANEL_HEIGHT = 300;
const MARGIN = { top: 50, right: 20, bottom: 60, left: 60 };
const COLORS = { om: '#2f6db5', bare: '#9aa5b1' };

export const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum at or above `value`. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * magnitude).find((m) => m >= value) ?? value;
}

/** One bar with a min–max whisker: the spread of the runs is part of the figure. */
function bar(x: number, width: number, s: Summary | undefined, scale: (v: number) => number, color: string): string {
  if (s === undefined) return '';
  const y = scale(s.median);
  const base = scale(0);
  const mid = x + width / 2;
  return [
    `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(1)}" height="${(base - y).toFixed(1)}" fill="${color}"/>`,
    s.n > 1
      ? `<line x1="${mid.toFixed(1)}" x2="${mid.toFixed(1)}" y1="${scale(s.max).toFixed(1)}" y2="${scale(s.min).toFixed(1)}" stroke="#222" stroke-width="1.5"/>`
      : '',
  ].join('');
}

function panel(s: Summaries, latencyMs: number, offsetX: number): string {
  const rows = s.sweep.filter((r) => r.latencyMs === latencyMs);
  const top = Math.max(1, ...rows.flatMap((r) => [r.om?.max ?? 0, r.bare?.max ?? 0]));
  const max = niceMax(top);
  const innerW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const innerH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const scale = (v: number) => MARGIN.top + innerH - (v / max) * innerH;
  const group = innerW / Math.max(rows.length, 1);
  const barW = group * 0.35;
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  const serial = s.serial.find((x) => x.latencyMs === latencyMs)?.rate?.median;
  parts.push(
    `<text x="${PANEL_WIDTH / 2}" y="22" text-anchor="middle" font-weight="bold">simulator latency ${latencyMs} ms</text>`,
    `<text x="${PANEL_WIDTH / 2}" y="38" text-anchor="middle" font-size="11">serial baseline ${serial === undefined ? 'n/a' : serial.toFixed(serial < 100 ? 1 : 0)} orders/s</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = scale(v);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${PANEL_WIDTH - MARGIN.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${Math.round(v)}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const x = MARGIN.left + i * group + group * 0.12;
    parts.push(
      bar(x, barW, r.om, scale, COLORS.om),
      bar(x + barW + 4, barW, r.bare, scale, COLORS.bare),
      `<text x="${(x + barW).toFixed(1)}" y="${PANEL_HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">c${r.concurrency} ×${r.processes}</text>`,
      r.omOverBare
        ? `<text x="${(x + barW).toFixed(1)}" y="${PANEL_HEIGHT - MARGIN.bottom + 30}" text-anchor="middle" font-size="10" fill="#555">${r.omOverBare.median.toFixed(2)}× bare</text>`
        : '',
    );
  });
  parts.push(
    `<text x="14" y="${MARGIN.top + innerH / 2}" transform="rotate(-90 14 ${MARGIN.top + innerH / 2})" text-anchor="middle" font-size="11">orders/s</text>`,
    '</g>',
  );
  return parts.join('\n');
}

/** Scenario 1 as grouped bars, one panel per latency; hand-written SVG, no chart library. */
export function renderChart(s: Summaries, title: string): string {
  const latencies = [...new Set(s.sweep.map((r) => r.latencyMs))];
  const width = Math.max(1, latencies.length) * PANEL_WIDTH;
  const height = PANEL_HEIGHT + 40;
  const legendY = PANEL_HEIGHT + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    ...latencies.map((l, i) => panel(s, l, i * PANEL_WIDTH)),
    `<rect x="${MARGIN.left}" y="${legendY - 10}" width="12" height="12" fill="${COLORS.om}"/><text x="${MARGIN.left + 18}" y="${legendY}">ordermanagement</text>`,
    `<rect x="${MARGIN.left + 140}" y="${legendY - 10}" width="12" height="12" fill="${COLORS.bare}"/><text x="${MARGIN.left + 158}" y="${legendY}">bare BullMQ ceiling</text>`,
    `<text x="${MARGIN.left + 310}" y="${legendY}" font-size="11" fill="#555">bars: median; whiskers: min–max of the runs</text>`,
    '</svg>',
    '',
  ].join('\n');
}
