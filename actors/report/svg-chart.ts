// Inline SVG charts for the training report: line charts, stacked areas and an event timeline,
// drawn from plain arrays with nice axis ticks, so the report needs no script or network to show.
import { bucketMeans, downsampleLine } from './downsample.js';

/** Colour-blind-safe palette (Okabe and Ito), in the order series take it. */
export const PALETTE = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#7f7f7f',
  '#000000',
] as const;

/** Points drawn per series at most; longer series are thinned. */
export const MAX_POINTS_PER_SERIES = 1500;

export interface Series {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color?: string;
  dashed?: boolean;
}

export interface Marker {
  x: number;
  label: string;
  color: string;
}

export interface Axis {
  label: string;
  format?: (v: number) => string;
  /** Only whole-number ticks (epochs, steps): no half epochs on the axis. */
  integer?: boolean;
}

export interface LineChartOptions {
  id: string;
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  markers?: Marker[];
  /** Lower end of the y axis when the data stays above it (0 for rates and durations). */
  yFloor?: number;
  maxPoints?: number;
}

export interface StackedChartOptions {
  id: string;
  title: string;
  x: Axis;
  y: Axis;
  xs: ArrayLike<number>;
  layers: { name: string; ys: ArrayLike<number>; color: string }[];
  markers?: Marker[];
  maxPoints?: number;
}

export interface TimelineOptions {
  id: string;
  title: string;
  x: Axis;
  span: [number, number];
  events: { x: number; row: string; label: string; color: string }[];
}

const WIDTH = 760;
const HEIGHT = 280;
const MARGIN = { left: 64, right: 16, top: 44, bottom: 42 };

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A short, locale-free rendering of a number for ticks and tables. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  const trim = (s: string) => (s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s);
  if (a >= 1e9) return `${trim((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${trim((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${trim((v / 1e3).toPrecision(3))}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 1e-3) return trim(v.toPrecision(3));
  return v.toExponential(1);
}

/** About `target` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of 10). */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const step = (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

interface Frame {
  sx: (v: number) => number;
  sy: (v: number) => number;
  /** Top of the plot area, below the legend. */
  py1: number;
  parts: string[];
  attrs: string;
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// The x axis spans the data exactly (one unit when it is a single point).
function xSpan([lo, hi]: [number, number]): [number, number] {
  if (!Number.isFinite(lo)) return [0, 1];
  return [lo, hi > lo ? hi : lo + 1];
}

function seriesExtent(series: Series[], value: (s: Series, i: number) => number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      const v = value(s, i);
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

function padded([lo, hi]: [number, number], floor?: number): [number, number] {
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  if (floor !== undefined && lo < floor) lo = floor;
  return [lo, hi];
}

// Axes, grid, title and legend; the scale is written on the <svg> so the page's script can turn
// pixel positions back into values for its readout. The legend wraps onto as many lines as it needs.
function frame(
  title: string,
  x: Axis,
  y: Axis,
  [x0, x1]: [number, number],
  [y0, y1]: [number, number],
  legend: { name: string; color: string; dashed?: boolean }[],
): Frame {
  const px0 = MARGIN.left;
  const px1 = WIDTH - MARGIN.right;
  const legendParts: string[] = [];
  let lx = px0;
  let ly = 34;
  for (const item of legend) {
    const name = item.name.length > 28 ? `${item.name.slice(0, 27)}…` : item.name;
    const w = 30 + name.length * 6.5;
    if (lx + w > px1 && lx > px0) {
      lx = px0;
      ly += 16;
    }
    const dash = item.dashed ? ' stroke-dasharray="5 3"' : '';
    legendParts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${item.color}" stroke-width="2.5"${dash}/>`,
      `<text x="${lx + 22}" y="${ly}">${escapeXml(name)}</text>`,
    );
    lx += w;
  }
  const py0 = HEIGHT - MARGIN.bottom;
  const py1 = MARGIN.top + (ly - 34);
  const sx = (v: number) => px0 + ((v - x0) / (x1 - x0 || 1)) * (px1 - px0);
  const sy = (v: number) => py0 - ((v - y0) / (y1 - y0 || 1)) * (py0 - py1);
  const fx = x.format ?? formatNumber;
  const fy = y.format ?? formatNumber;
  const parts: string[] = [];
  parts.push(`<text class="title" x="${px0}" y="16">${escapeXml(title)}</text>`);
  parts.push('<g class="grid">');
  for (const t of niceTicks(y0, y1, 5)) {
    if (t < y0 || t > y1) continue;
    const py = sy(t).toFixed(1);
    parts.push(`<line x1="${px0}" x2="${px1}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick y" x="${px0 - 6}" y="${py}">${escapeXml(fy(t))}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    if (t < x0 || t > x1 || (x.integer && !Number.isInteger(t))) continue;
    const px = sx(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${py1}" y2="${py0}"/>`);
    parts.push(`<text class="tick x" x="${px}" y="${py0 + 16}">${escapeXml(fx(t))}</text>`);
  }
  parts.push('</g>');
  parts.push(
    `<rect class="plot" x="${px0}" y="${py1}" width="${px1 - px0}" height="${py0 - py1}"/>`,
    `<text class="label x" x="${(px0 + px1) / 2}" y="${HEIGHT - 6}">${escapeXml(x.label)}</text>`,
    `<text class="label y" transform="translate(14 ${(py0 + py1) / 2}) rotate(-90)">${escapeXml(y.label)}</text>`,
    '<g class="legend">',
    ...legendParts,
    '</g>',
  );
  const attrs = `data-x0="${x0}" data-x1="${x1}" data-y0="${y0}" data-y1="${y1}" data-px0="${px0}" data-px1="${px1}" data-py0="${py0}" data-py1="${py1}"`;
  return { sx, sy, py1, parts, attrs };
}

function markerLines(
  f: Frame,
  markers: Marker[] | undefined,
  [x0, x1]: [number, number],
): string[] {
  const out: string[] = [];
  for (const m of markers ?? []) {
    if (m.x < x0 || m.x > x1) continue;
    const px = f.sx(m.x).toFixed(1);
    out.push(
      `<line class="marker" x1="${px}" x2="${px}" y1="${f.py1}" y2="${HEIGHT - MARGIN.bottom}" stroke="${m.color}"><title>${escapeXml(m.label)}</title></line>`,
    );
  }
  return out;
}

function svg(id: string, kind: string, f: Frame, body: string[]): string {
  return [
    `<svg class="chart ${kind}" id="${escapeXml(id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" ${f.attrs}>`,
    ...f.parts,
    ...body,
    '</svg>',
  ].join('\n');
}

/** A line chart; each series is one <path> whose `data-points` counts the points drawn. */
export function lineChart(o: LineChartOptions): string {
  const maxPoints = o.maxPoints ?? MAX_POINTS_PER_SERIES;
  const xr = seriesExtent(o.series, (s, i) => s.xs[i]);
  const yr = seriesExtent(o.series, (s, i) => (Number.isFinite(s.xs[i]) ? s.ys[i] : NaN));
  const xRange = xSpan(xr);
  const yRange = padded(yr, o.yFloor);
  const colored = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const f = frame(o.title, o.x, o.y, xRange, yRange, colored);
  const body: string[] = [];
  if (!Number.isFinite(yr[0])) {
    body.push(`<text class="empty" x="${WIDTH / 2}" y="${HEIGHT / 2}">no data</text>`);
  }
  body.push(...markerLines(f, o.markers, xRange));
  for (const s of colored) {
    const runs = downsampleLine(s.xs, s.ys, maxPoints);
    let d = '';
    let points = 0;
    for (const run of runs) {
      for (let k = 0; k < run.length; k++) {
        const i = run[k];
        d += `${k === 0 ? 'M' : 'L'}${f.sx(s.xs[i]).toFixed(1)} ${f.sy(s.ys[i]).toFixed(1)}`;
      }
      points += run.length;
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    body.push(
      `<path class="series" data-series="${escapeXml(s.name)}" data-points="${points}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}/>`,
    );
    // A lone point draws no line; mark it so it is visible.
    for (const run of runs) {
      if (run.length === 1) {
        const i = run[0];
        body.push(
          `<circle class="dot" cx="${f.sx(s.xs[i]).toFixed(1)}" cy="${f.sy(s.ys[i]).toFixed(1)}" r="3" fill="${s.color}"/>`,
        );
      }
    }
  }
  return svg(o.id, 'line', f, body);
}

/**
 * Stacked areas, layers in the given order from the bottom; each layer is one closed <path>
 * (its top edge forward, the layer below backward) with `data-points` x positions.
 */
export function stackedAreaChart(o: StackedChartOptions): string {
  const maxPoints = o.maxPoints ?? MAX_POINTS_PER_SERIES;
  const order = Array.from({ length: o.xs.length }, (_, i) => i).filter((i) =>
    Number.isFinite(o.xs[i]),
  );
  order.sort((a, b) => o.xs[a] - o.xs[b]);
  const xsSorted = order.map((i) => o.xs[i]);
  const layersSorted = o.layers.map((l) => order.map((i) => l.ys[i]));
  const { xs, layers } = bucketMeans(xsSorted, layersSorted, maxPoints);
  const tops = layers.map(() => new Array<number>(xs.length));
  for (let i = 0; i < xs.length; i++) {
    let acc = 0;
    for (let l = 0; l < layers.length; l++) {
      acc += layers[l][i];
      tops[l][i] = acc;
    }
  }
  const xr = extent(xs);
  const xRange = xSpan(xr);
  const yTop = tops.length > 0 ? extent(tops[tops.length - 1])[1] : 1;
  const yRange: [number, number] = [0, Number.isFinite(yTop) && yTop > 0 ? yTop * 1.05 : 1];
  const f = frame(o.title, o.x, o.y, xRange, yRange, o.layers);
  const body: string[] = [];
  if (xs.length === 0)
    body.push(`<text class="empty" x="${WIDTH / 2}" y="${HEIGHT / 2}">no data</text>`);
  body.push(...markerLines(f, o.markers, xRange));
  for (let l = 0; l < o.layers.length; l++) {
    if (xs.length === 0) break;
    let d = '';
    for (let i = 0; i < xs.length; i++) {
      d += `${i === 0 ? 'M' : 'L'}${f.sx(xs[i]).toFixed(1)} ${f.sy(tops[l][i]).toFixed(1)}`;
    }
    for (let i = xs.length - 1; i >= 0; i--) {
      const below = l === 0 ? 0 : tops[l - 1][i];
      d += `L${f.sx(xs[i]).toFixed(1)} ${f.sy(below).toFixed(1)}`;
    }
    d += 'Z';
    body.push(
      `<path class="layer" data-series="${escapeXml(o.layers[l].name)}" data-points="${xs.length}" d="${d}" fill="${o.layers[l].color}" fill-opacity="0.85" stroke="${o.layers[l].color}" stroke-width="0.5"/>`,
    );
  }
  return svg(o.id, 'stacked', f, body);
}

/** Events as marks on a time axis, one row per `row` value (e.g. per actor). */
export function timelineChart(o: TimelineOptions): string {
  const rows = [...new Set(o.events.map((e) => e.row))];
  const rowHeight = 22;
  const height = MARGIN.top + Math.max(1, rows.length) * rowHeight + MARGIN.bottom;
  const px0 = MARGIN.left + 60;
  const px1 = WIDTH - MARGIN.right;
  const [x0, x1Raw] = o.span;
  const x1 = x1Raw > x0 ? x1Raw : x0 + 1;
  const sx = (v: number) => px0 + ((v - x0) / (x1 - x0)) * (px1 - px0);
  const fx = o.x.format ?? formatNumber;
  const py0 = height - MARGIN.bottom;
  const parts: string[] = [
    `<svg class="chart timeline" id="${escapeXml(o.id)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" data-x0="${x0}" data-x1="${x1}" data-px0="${px0}" data-px1="${px1}">`,
    `<text class="title" x="${MARGIN.left}" y="16">${escapeXml(o.title)}</text>`,
    '<g class="grid">',
  ];
  for (const t of niceTicks(x0, x1, 6)) {
    if (t < x0 || t > x1) continue;
    const px = sx(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${MARGIN.top - 8}" y2="${py0}"/>`);
    parts.push(`<text class="tick x" x="${px}" y="${py0 + 16}">${escapeXml(fx(t))}</text>`);
  }
  parts.push('</g>');
  rows.forEach((row, r) => {
    const y = MARGIN.top + r * rowHeight + rowHeight / 2;
    parts.push(`<text class="row" x="${px0 - 8}" y="${y + 4}">${escapeXml(row)}</text>`);
    parts.push(`<line class="lane" x1="${px0}" x2="${px1}" y1="${y}" y2="${y}"/>`);
  });
  for (const e of o.events) {
    const y = MARGIN.top + rows.indexOf(e.row) * rowHeight + rowHeight / 2;
    parts.push(
      `<circle class="event" cx="${sx(e.x).toFixed(1)}" cy="${y}" r="6" fill="${e.color}"><title>${escapeXml(e.label)}</title></circle>`,
    );
  }
  parts.push(
    `<text class="label x" x="${(px0 + px1) / 2}" y="${height - 6}">${escapeXml(o.x.label)}</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
