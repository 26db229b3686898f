import { escapeXml, niceMax } from './chart.ts';
import type { SlowdownRun, SlowdownSample } from './scenarios/slowdown.ts';

const WIDTH = 760;
const PANEL_HEIGHT = 180;
const MARGIN = { top: 40, right: 150, bottom: 30, left: 60 };

interface Series {
  readonly label: string;
  readonly color: string;
  readonly value: (s: SlowdownSample) => number | undefined;
}

/** One panel of lines over the run's seconds, the slowed-down span shaded. */
function panel(
  samples: readonly SlowdownSample[],
  title: string,
  series: readonly Series[],
  top: number,
  slowSpan: [number, number],
): string {
  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = PANEL_HEIGHT - 50;
  const lastT = Math.max(1, ...samples.map((s) => s.t));
  const max = niceMax(Math.max(1, ...samples.flatMap((s) => series.map((x) => x.value(s) ?? 0))));
  const x = (t: number) => MARGIN.left + (t / lastT) * innerW;
  const y = (v: number) => top + innerH - (v / max) * innerH;
  const parts = [
    `<text x="${MARGIN.left}" y="${top - 8}" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${x(slowSpan[0]).toFixed(1)}" y="${top}" width="${(x(slowSpan[1]) - x(slowSpan[0])).toFixed(1)}" height="${innerH}" fill="#fbe3d6"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${Number(v.toPrecision(3))}</text>`,
    );
  }
  series.forEach((line, i) => {
    const points = samples.flatMap((s) => {
      const v = line.value(s);
      return v === undefined ? [] : [`${x(s.t).toFixed(1)},${y(v).toFixed(1)}`];
    });
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.8"/>`,
      `<rect x="${MARGIN.left + innerW + 12}" y="${top + 6 + i * 18}" width="12" height="3" fill="${line.color}"/>`,
      `<text x="${MARGIN.left + innerW + 30}" y="${top + 11 + i * 18}" font-size="11">${escapeXml(line.label)}</text>`,
    );
  });
  for (let t = 0; t <= lastT; t += 10) {
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${top + innerH + 14}" text-anchor="middle" font-size="10">${t} s</text>`,
    );
  }
  return parts.join('\n');
}

/** The slowdown scenario over time: throughput, the Order API's limit and its answer time. */
export function renderSlowdownChart(
  run: SlowdownRun,
  slowSpan: [number, number],
  factor: number,
  title: string,
): string {
  const { samples } = run;
  const height = MARGIN.top + 3 * PANEL_HEIGHT + MARGIN.bottom;
  const panels = [
    panel(
      samples,
      'orders/s',
      [{ label: 'orders/s', color: '#2f6db5', value: (s) => s.ordersPerSecond }],
      MARGIN.top,
      slowSpan,
    ),
    panel(
      samples,
      'Order API: concurrency limit and requests in flight',
      [
        { label: 'in flight', color: '#7f8c8d', value: (s) => s.order?.inFlight },
        { label: 'limit', color: '#c0392b', value: (s) => s.order?.limit },
        { label: 'Stock API limit', color: '#27ae60', value: (s) => s.stock?.limit },
      ],
      MARGIN.top + PANEL_HEIGHT,
      slowSpan,
    ),
    panel(
      samples,
      'PUT /orders/<id>: median answer time, ms',
      [{ label: 'p50 ms', color: '#8e44ad', value: (s) => s.orderPutP50Ms }],
      MARGIN.top + 2 * PANEL_HEIGHT,
      slowSpan,
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${MARGIN.left}" y="18" font-size="13">${escapeXml(title)}; shaded: every service time ×${factor}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
