// Renders a run as one self-contained HTML page: results, loss, throughput, step-time breakdown,
// evaluation curves, actor events and the resolved config, with inline SVG and no external asset.
import { defaultJobSpec } from '../job-spec.js';
import { STEP_PHASES, type RunData, type StepPhase } from './run-data.js';
import {
  PALETTE,
  escapeXml as esc,
  formatNumber,
  lineChart,
  stackedAreaChart,
  timelineChart,
  type Marker,
  type Series,
} from './svg-chart.js';

export interface ReportOptions {
  /** Shown in the footer; fixed in tests so the page is reproducible. */
  generatedAt?: Date;
  maxPointsPerSeries?: number;
}

const PHASE_LABEL: Record<StepPhase, string> = {
  sample_s: 'sample',
  queue_wait_s: 'queue wait',
  compute_s: 'compute',
  sync_s: 'sync',
};
const PHASE_COLOR: Record<StepPhase, string> = {
  sample_s: PALETTE[4],
  queue_wait_s: PALETTE[1],
  compute_s: PALETTE[0],
  sync_s: PALETTE[2],
};
const EVENT_COLOR: Record<string, string> = {
  restart: PALETTE[4],
  failure: PALETTE[1],
  checkpoint: PALETTE[2],
  'early-stop': PALETTE[0],
};
const OTHER_EVENT_COLOR = PALETTE[6];

/** Sizes that ride along with the metrics (nodes or edges evaluated, negatives per edge): facts, not curves. */
const COUNT_KEYS = new Set([
  'count',
  'negatives',
  'exact_candidates',
  'exact_filtered',
  'exact_count',
  'exact_snapshots',
]);
const isMetric = (key: string) => !COUNT_KEYS.has(key);

const plural = (n: number, word: string) => `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;

interface TimeAxis {
  t0: number;
  /** Unix seconds of the last record. */
  t1: number;
  divisor: number;
  unit: string;
}

function timeAxis(run: RunData): TimeAxis {
  let lo = Infinity;
  let hi = -Infinity;
  const see = (t: number) => {
    if (Number.isFinite(t)) {
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
  };
  run.steps.t.forEach(see);
  run.evals.forEach((e) => see(e.t));
  run.events.forEach((e) => see(e.t));
  if (!Number.isFinite(lo)) return { t0: 0, t1: 0, divisor: 1, unit: 's' };
  const span = hi - lo;
  if (span < 180) return { t0: lo, t1: hi, divisor: 1, unit: 's' };
  if (span < 3 * 3600) return { t0: lo, t1: hi, divisor: 60, unit: 'min' };
  return { t0: lo, t1: hi, divisor: 3600, unit: 'h' };
}

const rel = (axis: TimeAxis, t: number) => (t - axis.t0) / axis.divisor;

function isoTime(t: number): string {
  return Number.isFinite(t) ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : '';
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 2 * 3600) return `${formatNumber(seconds / 60)} min`;
  return `${formatNumber(seconds / 3600)} h`;
}

/** Row indices of each actor's step records, in file order. */
function rowsByActor(run: RunData): number[][] {
  const rows = run.steps.actors.map(() => [] as number[]);
  run.steps.actor.forEach((a, i) => rows[a].push(i));
  return rows;
}

// Loss is drawn against the step number when each trainer's steps only grow; otherwise (steps
// restarting each epoch, or absent) against the record's position.
function stepAxisUsable(run: RunData, rows: number[][]): boolean {
  for (const r of rows) {
    let last = -Infinity;
    for (const i of r) {
      const s = run.steps.step[i];
      if (!Number.isFinite(s) || s < last) return false;
      last = s;
    }
  }
  return rows.some((r) => r.length > 0);
}

function eventMarkers(run: RunData, axis: TimeAxis): Marker[] {
  return run.events
    .filter((e) => e.kind === 'restart' || e.kind === 'failure')
    .map((e) => ({
      x: rel(axis, e.t),
      label: `${e.kind}${e.actor ? ` of ${e.actor}` : ''}${e.detail ? `: ${e.detail}` : ''}`,
      color: EVENT_COLOR[e.kind],
    }));
}

function table(head: string[], rows: string[][], cls = ''): string {
  return [
    `<table${cls ? ` class="${cls}"` : ''}>`,
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

function flatten(
  obj: unknown,
  prefix = '',
  out: Map<string, unknown> = new Map(),
): Map<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, obj);
  return out;
}

function lastFinite(values: number[], rows: number[]): number {
  for (let k = rows.length - 1; k >= 0; k--)
    if (Number.isFinite(values[rows[k]])) return values[rows[k]];
  return NaN;
}

function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A validation/test table of the metrics of two records; undefined when they have none. */
function metricTable(
  val: Record<string, number> | undefined,
  test: Record<string, number> | undefined,
): string | undefined {
  const names = [...new Set([...Object.keys(val ?? {}), ...Object.keys(test ?? {})])].filter(
    isMetric,
  );
  if (names.length === 0) return undefined;
  return table(
    ['metric', 'validation', 'test'],
    names.map((m) => [
      esc(m),
      val?.[m] !== undefined ? formatNumber(val[m]) : '',
      test?.[m] !== undefined ? formatNumber(test[m]) : '',
    ]),
    'results',
  );
}

function summarySection(run: RunData, rows: number[][]): string {
  const r = run.results;
  const parts: string[] = ['<section id="results"><h2>Results</h2>'];
  const own = metricTable(r?.val, r?.test);
  parts.push(own || '<p class="muted">No final metrics: results.json is missing or has none.</p>');
  // eval.relations: one table per listed relation, scored on its own held-out pairs.
  for (const [key, block] of Object.entries(r?.relations ?? {}))
    parts.push(`<h3>relation ${esc(key)}</h3>`, metricTable(block.val, block.test) ?? '');
  const facts: [string, string][] = [];
  if (r?.epochs !== undefined) facts.push(['epochs', formatNumber(r.epochs)]);
  if (r?.best_epoch !== undefined && r.best_epoch > 0)
    facts.push(['best epoch (validation)', formatNumber(r.best_epoch)]);
  if (r?.resumed_after_epoch !== undefined)
    facts.push(['resumed after epoch', formatNumber(r.resumed_after_epoch)]);
  for (const split of ['val', 'test'] as const) {
    const m = r?.[split];
    if (m?.count !== undefined)
      facts.push([
        `${split === 'val' ? 'validation' : 'test'} size`,
        `${formatNumber(m.count)}${m.negatives !== undefined ? ` edges, ${formatNumber(m.negatives)} negatives each` : ''}`,
      ]);
    if (m?.exact_count !== undefined)
      facts.push([
        `${split === 'val' ? 'validation' : 'test'} exact ranking (exact_*)`,
        `${formatNumber(m.exact_count)} edges, each among all ${formatNumber(m.exact_candidates)} candidates, ${formatNumber(m.exact_filtered)} known destinations filtered`,
      ]);
  }
  if (r?.duration_s !== undefined) facts.push(['duration', duration(r.duration_s)]);
  for (const [k, v] of Object.entries(r?.throughput ?? {}))
    facts.push([`throughput ${k}`, formatNumber(v)]);
  const steps = run.steps.t.length;
  if (steps > 0) {
    facts.push(['step records', String(steps)]);
    facts.push(['median seeds/s per trainer', formatNumber(median(run.steps.seedsPerS))]);
    rows.forEach((rr, a) => {
      const loss = lastFinite(run.steps.loss, rr);
      if (Number.isFinite(loss))
        facts.push([`last loss (${run.steps.actors[a]})`, formatNumber(loss)]);
    });
  }
  if (facts.length > 0)
    parts.push(
      table(
        ['', ''],
        facts.map(([k, v]) => [esc(k), v]),
        'facts',
      ),
    );
  parts.push('</section>');
  return parts.join('\n');
}

function warningsSection(run: RunData, rows: number[][]): string {
  const notes = [...run.notes];
  rows.forEach((rr, a) => {
    const bad = rr.filter((i) => run.steps.lossNonFinite[i]);
    if (bad.length > 0) {
      const first = bad[0];
      const where = Number.isFinite(run.steps.step[first])
        ? `step ${run.steps.step[first]}`
        : `record ${first + 1}`;
      notes.push(
        `The loss of ${run.steps.actors[a]} was not finite in ${bad.length} step${bad.length === 1 ? '' : 's'}, first at ${where}; the loss curve has gaps there.`,
      );
    }
  });
  const failures = run.events.filter((e) => e.kind === 'failure').length;
  if (failures > 0)
    notes.push(`${failures} actor failure${failures === 1 ? '' : 's'}: see Events.`);
  if (notes.length === 0) return '';
  return `<section id="warnings"><h2>Warnings</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

function trainingSection(run: RunData, rows: number[][], maxPoints: number): string {
  if (run.steps.t.length === 0) return '';
  const useStep = stepAxisUsable(run, rows);
  // One series per actor of a step-record column, over the step (or the record's position).
  const perActor = (column: ArrayLike<number>): Series[] =>
    rows.map((rr, a) => ({
      name: run.steps.actors[a],
      xs: rr.map((i, k) => (useStep ? run.steps.step[i] : k)),
      ys: rr.map((i) => column[i]),
    }));
  const x = { label: useStep ? 'step' : 'step record', integer: true };
  const parts = ['<section id="training"><h2>Training</h2>'];
  parts.push(
    lineChart({
      id: 'chart-loss',
      title: 'Training loss',
      x,
      y: { label: 'loss' },
      series: perActor(run.steps.loss),
      maxPoints,
    }),
  );
  if (run.steps.lr.some(Number.isFinite)) {
    parts.push(
      lineChart({
        id: 'chart-lr',
        title: 'Learning rate',
        x,
        y: { label: 'learning rate' },
        series: perActor(run.steps.lr),
        yFloor: 0,
        maxPoints,
      }),
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

function throughputSection(
  run: RunData,
  rows: number[][],
  axis: TimeAxis,
  maxPoints: number,
): string {
  if (run.steps.t.length === 0) return '';
  // Both charts share the time axis, the restart and failure markers, and the point budget.
  const markers = eventMarkers(run, axis);
  const timeChart = (id: string, title: string, yLabel: string) => ({
    id,
    title,
    x: { label: `time since start (${axis.unit})` },
    y: { label: yLabel },
    markers,
    maxPoints,
  });
  const parts = ['<section id="throughput"><h2>Throughput and step time</h2>'];
  parts.push(
    lineChart({
      ...timeChart(
        'chart-throughput',
        'Throughput (seeds/s); vertical lines mark restarts and failures',
        'seeds per second',
      ),
      series: rows.map((rr, a) => ({
        name: run.steps.actors[a],
        xs: rr.map((i) => rel(axis, run.steps.t[i])),
        ys: rr.map((i) => run.steps.seedsPerS[i]),
      })),
      yFloor: 0,
    }),
  );
  const phases = STEP_PHASES.filter((p) => run.steps.time[p].some(Number.isFinite));
  if (phases.length > 0) {
    parts.push(
      stackedAreaChart({
        ...timeChart(
          'chart-breakdown',
          'Step time by phase (seconds per step, stacked)',
          'seconds per step',
        ),
        xs: run.steps.t.map((t) => rel(axis, t)),
        layers: phases.map((p) => ({
          name: PHASE_LABEL[p],
          ys: run.steps.time[p],
          color: PHASE_COLOR[p],
        })),
      }),
    );
    const means = phases.map((p) => {
      const v = run.steps.time[p].filter(Number.isFinite);
      return v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0;
    });
    const total = means.reduce((s, x) => s + x, 0);
    parts.push(
      table(
        ['phase', 'mean seconds per step', 'share of step'],
        phases.map((p, k) => [
          `<span class="swatch" style="background:${PHASE_COLOR[p]}"></span>${PHASE_LABEL[p]}`,
          formatNumber(means[k]),
          total > 0 ? `${((100 * means[k]) / total).toFixed(1)}%` : '',
        ]),
        'phases',
      ),
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

function evaluationSection(run: RunData, maxPoints: number): string {
  if (run.evals.length === 0) return '';
  const keys = [
    ...new Set(run.evals.flatMap((e) => [...Object.keys(e.val), ...Object.keys(e.test ?? {})])),
  ].filter(isMetric);
  const byEpoch = run.evals.every((e) => e.epoch !== undefined);
  const byStep = !byEpoch && run.evals.every((e) => e.step !== undefined);
  // Epochs are counted from 1, as `weft train` prints them (records hold them from 0).
  const xs = run.evals.map((e, k) => (byEpoch ? e.epoch! + 1 : byStep ? e.step! : k + 1));
  const xLabel = byEpoch ? 'epoch' : byStep ? 'step' : 'evaluation';
  const parts = ['<section id="evaluation"><h2>Evaluation</h2><div class="grid">'];
  keys.forEach((key, k) => {
    const series: Series[] = [
      { name: 'validation', xs, ys: run.evals.map((e) => e.val[key] ?? NaN), color: PALETTE[0] },
    ];
    if (run.evals.some((e) => e.test?.[key] !== undefined)) {
      series.push({
        name: 'test',
        xs,
        ys: run.evals.map((e) => e.test?.[key] ?? NaN),
        color: PALETTE[1],
        dashed: true,
      });
    }
    parts.push(
      lineChart({
        id: `chart-eval-${k}`,
        title: key,
        x: { label: xLabel, integer: true },
        y: { label: key },
        series,
        maxPoints,
      }),
    );
  });
  parts.push('</div></section>');
  return parts.join('\n');
}

function eventsSection(run: RunData, axis: TimeAxis): string {
  const parts = ['<section id="events"><h2>Events</h2>'];
  if (run.events.length === 0) {
    parts.push(
      '<p class="muted">No actor events (restarts, failures, checkpoints) were recorded.</p></section>',
    );
    return parts.join('\n');
  }
  const span: [number, number] = [0, rel(axis, axis.t1)];
  parts.push(
    timelineChart({
      id: 'chart-events',
      title: 'Actor events over time',
      x: { label: `time since start (${axis.unit})` },
      span,
      events: run.events.map((e) => ({
        x: rel(axis, e.t),
        row: e.actor ?? 'job',
        label: `${e.kind}${e.actor ? ` of ${e.actor}` : ''} at ${isoTime(e.t)}${e.detail ? `: ${e.detail}` : ''}`,
        color: EVENT_COLOR[e.kind] ?? OTHER_EVENT_COLOR,
      })),
    }),
  );
  const counts = new Map<string, number>();
  for (const e of run.events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  parts.push(
    `<p>${[...counts].map(([k, n]) => `<span class="swatch" style="background:${EVENT_COLOR[k] ?? OTHER_EVENT_COLOR}"></span>${esc(k)}: ${n}`).join(' &nbsp; ')}</p>`,
  );
  parts.push(
    table(
      ['time (UTC)', `since start (${axis.unit})`, 'kind', 'actor', 'detail'],
      run.events.map((e) => [
        isoTime(e.t),
        formatNumber(rel(axis, e.t)),
        `<span class="kind kind-${esc(e.kind.replace(/[^a-z0-9-]/gi, ''))}">${esc(e.kind)}</span>`,
        esc(e.actor ?? ''),
        esc(e.detail ?? ''),
      ]),
      'events',
    ),
  );
  parts.push('</section>');
  return parts.join('\n');
}

function configSection(run: RunData): string {
  const config = run.results?.config;
  if (!config) return '';
  const defaults = flatten(defaultJobSpec());
  const rows = [...flatten(config)].map(([k, v]) => {
    const changed = defaults.has(k) && JSON.stringify(defaults.get(k)) !== JSON.stringify(v);
    const unknown = !defaults.has(k);
    const value = typeof v === 'string' ? v : JSON.stringify(v);
    return [
      `<code>${esc(k)}</code>`,
      `<span class="${changed ? 'changed' : unknown ? 'extra' : ''}">${esc(value ?? '')}</span>`,
      changed ? esc(JSON.stringify(defaults.get(k))) : '',
    ];
  });
  return [
    '<section id="config"><h2>Resolved configuration</h2>',
    '<p class="muted">Highlighted values differ from the defaults.</p>',
    table(['field', 'value', 'default'], rows, 'config'),
    '</section>',
  ].join('\n');
}

const STYLE = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1600px; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { padding: 4px 12px 4px 0; text-align: left; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
table.results td, table.phases td { min-width: 90px; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 24px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; overflow: visible; }
svg.chart text { font-size: 11px; fill: #333; }
svg.chart text.title { font-size: 13px; font-weight: 600; }
svg.chart .grid line { stroke: #eceff2; }
svg.chart .tick.y { text-anchor: end; dominant-baseline: middle; }
svg.chart .tick.x, svg.chart .label.x, svg.chart .label.y, svg.chart text.empty { text-anchor: middle; }
svg.chart text.row { text-anchor: end; }
svg.chart rect.plot { fill: none; stroke: #c5ccd3; }
svg.chart line.marker { stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.chart line.lane { stroke: #e3e7eb; }
svg.chart line.guide { stroke: #888; stroke-width: 1; pointer-events: none; }
.readout { min-height: 1.4em; color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; vertical-align: baseline; }
span.changed { background: #fff3c4; padding: 0 3px; }
span.extra { color: var(--muted); }
span.kind-failure { color: #b34700; font-weight: 600; }
span.kind-restart { color: #9a6b00; font-weight: 600; }
#warnings ul { background: #fff6e5; border: 1px solid #f0d9a8; padding: 8px 8px 8px 28px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { svg.chart { break-inside: avoid; } .readout { display: none; } }
`;

// Hover readout: maps the pointer back to data through the scale each chart carries and lists
// the nearest drawn point of every series. The page reads fine without it.
const SCRIPT = `
(function () {
  function pointsOf(path) {
    var nums = (path.getAttribute('d') || '').match(/-?\\d+(\\.\\d+)?/g) || [];
    var pts = [];
    var n = Number(path.getAttribute('data-points')) || nums.length / 2;
    for (var i = 0; i + 1 < nums.length && pts.length < n; i += 2) pts.push([Number(nums[i]), Number(nums[i + 1])]);
    return pts;
  }
  function fmt(v) {
    if (!isFinite(v)) return String(v);
    var a = Math.abs(v);
    if (a >= 1e4) return v.toFixed(0);
    if (a >= 100) return v.toFixed(1);
    return Number(v.toPrecision(4)).toString();
  }
  var charts = document.querySelectorAll('svg.chart.line, svg.chart.stacked');
  Array.prototype.forEach.call(charts, function (svg) {
    var d = svg.dataset;
    var x0 = Number(d.x0), x1 = Number(d.x1), y0 = Number(d.y0), y1 = Number(d.y1);
    var px0 = Number(d.px0), px1 = Number(d.px1), py0 = Number(d.py0), py1 = Number(d.py1);
    var paths = Array.prototype.slice.call(svg.querySelectorAll('path.series, path.layer'));
    var cache = paths.map(pointsOf);
    var readout = document.createElement('div');
    readout.className = 'readout';
    svg.parentNode.insertBefore(readout, svg.nextSibling);
    var guide = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    guide.setAttribute('class', 'guide');
    guide.setAttribute('y1', py1);
    guide.setAttribute('y2', py0);
    guide.style.display = 'none';
    svg.appendChild(guide);
    svg.addEventListener('mousemove', function (ev) {
      var box = svg.getBoundingClientRect();
      var vb = svg.viewBox.baseVal;
      var px = (ev.clientX - box.left) * (vb.width / box.width);
      if (px < px0 || px > px1) return;
      guide.setAttribute('x1', px);
      guide.setAttribute('x2', px);
      guide.style.display = '';
      var parts = ['x ' + fmt(x0 + ((px - px0) / (px1 - px0)) * (x1 - x0))];
      var below = null;
      cache.forEach(function (pts, k) {
        var best = null;
        for (var i = 0; i < pts.length; i++) if (!best || Math.abs(pts[i][0] - px) < Math.abs(best[0] - px)) best = pts[i];
        if (!best) return;
        var v = y0 + ((py0 - best[1]) / (py0 - py1)) * (y1 - y0);
        var shown = paths[k].classList.contains('layer') && below !== null ? v - below : v;
        if (paths[k].classList.contains('layer')) below = v;
        parts.push(paths[k].getAttribute('data-series') + ' ' + fmt(shown));
      });
      readout.textContent = parts.join('   ');
    });
    svg.addEventListener('mouseleave', function () { guide.style.display = 'none'; });
    svg.setAttribute('data-interactive', 'true');
  });
})();
`;

/** The whole report page for a run. */
export function renderReport(run: RunData, options: ReportOptions = {}): string {
  const maxPoints = options.maxPointsPerSeries ?? 1500;
  const generatedAt = options.generatedAt ?? new Date();
  const axis = timeAxis(run);
  const rows = rowsByActor(run);
  const r = run.results;
  const config = r?.config as { name?: unknown } | undefined;
  const name =
    typeof config?.name === 'string'
      ? config.name
      : (run.runDir.split(/[\\/]/).filter(Boolean).pop() ?? 'run');
  const meta = [
    r?.task ? `task ${esc(r.task)}` : '',
    r?.backend ? `backend ${esc(r.backend)}` : '',
    r?.epochs !== undefined ? plural(r.epochs, 'epoch') : '',
    r?.resumed_after_epoch !== undefined ? `resumed after epoch ${r.resumed_after_epoch}` : '',
    r?.duration_s !== undefined ? duration(r.duration_s) : '',
    Number.isFinite(axis.t0) && axis.t0 > 0 ? `started ${isoTime(axis.t0)}` : '',
  ].filter(Boolean);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Weft training report: ${esc(name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>Training report: ${esc(name)}</h1><p class="meta">${meta.join(' · ')}</p></header>`,
    warningsSection(run, rows),
    summarySection(run, rows),
    trainingSection(run, rows, maxPoints),
    throughputSection(run, rows, axis, maxPoints),
    evaluationSection(run, maxPoints),
    eventsSection(run, axis),
    configSection(run),
    `<footer>Written by <code>weft report</code> from <code>${esc(run.runDir)}</code> at ${generatedAt.toISOString()}.</footer>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ]
    .filter((s) => s !== '')
    .join('\n');
}
