import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { bucketMeans, downsampleLine, lttb } from '../../../actors/report/downsample.js';
import { renderReport } from '../../../actors/report/html-report.js';
import { emptySteps, readRun, type RunData } from '../../../actors/report/run-data.js';
import { formatNumber, lineChart, niceTicks } from '../../../actors/report/svg-chart.js';
import { writeReport } from '../../../actors/report/write-report.js';
import { run as reportCommand } from '../../../cli/commands/report.js';
import { InputError } from '../../../runtime/errors.js';
import { writeFixtureRun } from './report-fixture.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-report-'));
let counter = 0;
const freshDir = () => path.join(tmp, `run-${counter++}`);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function inputErrorOf(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

/** Every <path class="series"> of a chart: name, declared point count, points in `d`, runs. */
function seriesPaths(html: string, chartId: string) {
  const start = html.indexOf(`id="${chartId}"`);
  expect(start, chartId).toBeGreaterThan(0);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  return [
    ...svg.matchAll(
      /<path class="(series|layer)" data-series="([^"]*)" data-points="(\d+)" d="([^"]*)"/g,
    ),
  ].map((m) => ({
    kind: m[1],
    name: m[2],
    declared: Number(m[3]),
    commands: (m[4].match(/[ML]/g) ?? []).length,
    moves: (m[4].match(/M/g) ?? []).length,
    d: m[4],
  }));
}

describe('reading a run directory', () => {
  it('reads steps, evaluations and events of a fixture run', async () => {
    const fx = writeFixtureRun(freshDir(), {
      trainers: 3,
      stepsPerTrainer: 50,
      epochs: 5,
      nanSteps: [10],
    });
    const run = await readRun(fx.runDir);
    expect(run.steps.actors).toEqual(fx.trainers);
    expect(run.steps.t).toHaveLength(3 * 50);
    expect(run.steps.lossNonFinite.filter(Boolean)).toHaveLength(1);
    expect(run.evals).toHaveLength(fx.evals);
    expect(run.events.map((e) => e.kind)).toEqual(fx.events.map((e) => e.kind));
    expect(run.results?.task).toBe('node');
    expect(run.results?.throughput?.seeds_per_s).toBe(3200);
    expect(run.notes).toEqual([]);
  });

  it('names file and line of a malformed line, and the field of a wrong value', async () => {
    const dir = freshDir();
    writeFixtureRun(dir, { stepsPerTrainer: 10 });
    const file = path.join(dir, 'metrics.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(
      file,
      [...lines.slice(0, 4), '{"type": "step", "t": 1,', ...lines.slice(4)].join('\n'),
    );
    const err = await inputErrorOf(readRun(dir));
    expect(err.file).toBe(file);
    expect(err.line).toBe(5);
    expect(err.message).toContain('not valid JSON');

    const cases: [string, string][] = [
      ['{"type":"step","t":"soon","loss":1}', 't'],
      ['{"type":"step","loss":1}', 't'],
      ['{"type":"step","t":1,"time":{"compute_s":"fast"}}', 'time.compute_s'],
      ['{"type":"eval","t":1,"val":{"accuracy":"high"}}', 'val.accuracy'],
      ['{"type":"eval","t":1}', 'val'],
      ['{"type":"event","t":1}', 'kind'],
      ['{"type":"step","t":1,"actor":3}', 'actor'],
      ['[1,2]', 'type'],
      ['{"t":1}', 'type'],
    ];
    for (const [bad, field] of cases) {
      writeFileSync(file, `${lines.slice(0, 2).join('\n')}\n${bad}\n${lines[2]}\n`);
      const e = await inputErrorOf(readRun(dir));
      expect(e.field, bad).toBe(field);
      expect(e.line, bad).toBe(3);
    }
  });

  it('skips a last line cut short by a dying writer, and notes it', async () => {
    const dir = freshDir();
    writeFixtureRun(dir, { stepsPerTrainer: 10, trainers: 1 });
    const file = path.join(dir, 'metrics.jsonl');
    appendFileSync(file, '{"type":"step","t":17000000');
    const run = await readRun(dir);
    expect(run.steps.t).toHaveLength(10);
    expect(run.notes.join(' ')).toMatch(/cut short/);
  });

  it('accepts bare NaN and Infinity, missing optional fields, unknown record types', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      [
        '{"type":"step","t":1,"loss":NaN,"detail":"NaN stays in strings"}',
        '{"type":"step","t":2,"loss":0.5}',
        '{"type":"step","t":3,"loss":-Infinity}',
        '{"type":"heartbeat","t":4}',
        '',
        '{"type":"eval","t":5,"val":{"auc":0.9}}',
      ].join('\n') + '\n',
    );
    const run = await readRun(dir);
    expect(run.steps.loss.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(['NaN', 0.5, 'NaN']);
    expect(run.steps.lossNonFinite).toEqual([true, false, true]);
    expect(run.steps.seedsPerS.every(Number.isNaN)).toBe(true);
    expect(run.steps.actors).toEqual(['trainer']);
    expect(run.evals[0]).toEqual({
      t: 5,
      epoch: undefined,
      step: undefined,
      val: { auc: 0.9 },
      test: undefined,
    });
    expect(run.results).toBeUndefined();
    expect(run.notes.join(' ')).toMatch(/results\.json is missing/);
    expect(run.notes.join(' ')).toMatch(/unknown type 'heartbeat'/);
    // And the page still renders, with the gaps noted.
    const html = renderReport(run, { generatedAt: new Date(0) });
    expect(html).toContain('was not finite in 2 steps');
  });

  it('rejects a directory without run files, and a malformed results.json with its line', async () => {
    const empty = freshDir();
    mkdirSync(empty);
    expect((await inputErrorOf(readRun(empty))).message).toMatch(
      /neither results\.json nor metrics\.jsonl/,
    );
    expect((await inputErrorOf(readRun(path.join(tmp, 'missing')))).file).toBe(
      path.join(tmp, 'missing'),
    );
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'results.json'), '{\n  "task": "node",\n  "val": {,\n}\n');
    const err = await inputErrorOf(readRun(dir));
    expect(err.file).toBe(path.join(dir, 'results.json'));
    expect(err.line).toBe(3);
    writeFileSync(path.join(dir, 'results.json'), '{"task": "node", "val": {"accuracy": "0.8"}}');
    expect((await inputErrorOf(readRun(dir))).field).toBe('val.accuracy');
  });
});

describe('the report page', () => {
  it('draws every step of every trainer and every evaluation', async () => {
    const fx = writeFixtureRun(freshDir(), {
      trainers: 2,
      stepsPerTrainer: 90,
      epochs: 3,
      nanSteps: [20, 21],
    });
    const html = renderReport(await readRun(fx.runDir), { generatedAt: new Date(0) });
    const loss = seriesPaths(html, 'chart-loss');
    expect(loss.map((p) => p.name)).toEqual(fx.trainers);
    loss.forEach((p, a) => {
      expect(p.declared).toBe(fx.finiteLosses[a]);
      expect(p.commands).toBe(fx.finiteLosses[a]);
    });
    expect(loss[0].moves).toBe(2); // the NaN steps split trainer 0's line
    expect(loss[1].moves).toBe(1);
    for (const p of seriesPaths(html, 'chart-throughput'))
      expect(p.commands).toBe(fx.stepsPerTrainer);
    const layers = seriesPaths(html, 'chart-breakdown');
    expect(layers.map((l) => l.name)).toEqual(['sample', 'queue wait', 'compute', 'sync']);
    for (const l of layers) {
      expect(l.declared).toBe(fx.stepsPerTrainer * fx.trainers.length);
      expect(l.commands).toBe(2 * l.declared); // top edge forward, bottom edge back
      expect(l.d.endsWith('Z')).toBe(true);
    }
    const evalCharts = [...html.matchAll(/id="(chart-eval-\d+)"/g)].map((m) => m[1]);
    expect(evalCharts).toHaveLength(fx.evalKeys.length);
    for (const id of evalCharts) {
      const [val, test] = seriesPaths(html, id);
      expect(val.commands).toBe(fx.evals);
      expect(test.name).toBe('test');
    }
    // Restart and failure appear as markers on the time charts and rows in the events table.
    expect((html.match(/<line class="marker"/g) ?? []).length).toBe(2 * 2);
    expect(html).toContain('worker exited with code 137');
    expect(html).toMatch(/<span class="changed">64<\/span>/); // model.hidden differs from default
  });

  it('is self-contained: nothing is fetched', async () => {
    const fx = writeFixtureRun(freshDir());
    const html = renderReport(await readRun(fx.runDir));
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/\bhref\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('escapes text from the run', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      '{"type":"event","t":1,"kind":"<b>x</b>","actor":"a&b","detail":"<script>alert(1)</script>"}\n',
    );
    const html = renderReport(await readRun(dir));
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&amp;b');
  });

  it('keeps long runs small by thinning each series', async () => {
    const fx = writeFixtureRun(freshDir(), {
      trainers: 2,
      stepsPerTrainer: 6000,
      epochs: 10,
      withEvents: false,
    });
    const html = renderReport(await readRun(fx.runDir), { maxPointsPerSeries: 500 });
    for (const id of ['chart-loss', 'chart-throughput', 'chart-lr']) {
      for (const p of seriesPaths(html, id)) {
        expect(p.commands).toBeLessThanOrEqual(500);
        expect(p.commands).toBeGreaterThan(400);
      }
    }
    for (const l of seriesPaths(html, 'chart-breakdown')) expect(l.declared).toBe(500);
    expect(html.length).toBeLessThan(400_000);
  });
  it('renders a run of 300k steps built in memory (no argument-spreading limits)', () => {
    const n = 300_000;
    const t = Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 0.05);
    const col = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
    const run: RunData = {
      runDir: 'big',
      steps: {
        t,
        epoch: col((i) => Math.floor(i / 30_000)),
        step: col((i) => i),
        loss: col((i) => 1 / (1 + i / 1000)),
        lossNonFinite: col(() => 0).map(() => false),
        seedsPerS: col((i) => 2000 + (i % 100)),
        lr: col(() => 0.01),
        time: {
          sample_s: col(() => 0.001),
          queue_wait_s: col(() => 0.002),
          compute_s: col(() => 0.03),
          sync_s: col(() => 0.01),
        },
        actor: col(() => 0),
        actors: ['trainer/0'],
      },
      evals: [],
      events: [{ t: t[n - 1], kind: 'early-stop' }],
      notes: [],
    };
    const html = renderReport(run);
    for (const p of seriesPaths(html, 'chart-loss')) expect(p.commands).toBeLessThanOrEqual(1500);
    expect(html).toContain('early-stop');
  });
});

describe('chart helpers', () => {
  it('picks round ticks inside the range (many random ranges)', () => {
    const next = rng(3);
    for (let k = 0; k < 500; k++) {
      const scale = 10 ** Math.floor(next() * 12 - 6);
      const a = (next() - 0.5) * 100 * scale;
      const b = a + next() * 100 * scale + scale * 1e-3;
      const ticks = niceTicks(a, b, 5);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(12);
      const step = ticks[1] - ticks[0];
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      for (let i = 0; i < ticks.length; i++) {
        expect(ticks[i]).toBeGreaterThanOrEqual(a - step * 1e-6);
        expect(ticks[i]).toBeLessThanOrEqual(b + step * 1e-6);
        if (i > 0) expect(ticks[i] - ticks[i - 1]).toBeCloseTo(step, 6);
      }
    }
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
  });

  it('thins a line to its budget keeping first, last and the extremes (random series)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const next = rng(seed);
      const n = 200 + Math.floor(next() * 5000);
      const xs = Array.from({ length: n }, (_, i) => i);
      const ys = xs.map(() => next());
      const peak = Math.floor(next() * (n - 2)) + 1;
      ys[peak] = 50; // a spike thinning must not hide
      const budget = 20 + Math.floor(next() * Math.min(300, n - 30));
      const run = xs.slice();
      const kept = lttb(run, xs, ys, budget);
      expect(kept).toHaveLength(budget);
      expect(kept[0]).toBe(0);
      expect(kept[kept.length - 1]).toBe(n - 1);
      for (let i = 1; i < kept.length; i++) expect(kept[i]).toBeGreaterThan(kept[i - 1]);
      expect(kept).toContain(peak);
    }
  });

  it('splits lines at non-finite values and bounds the total', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6];
    const ys = [1, 2, NaN, 3, 4, Infinity, 5];
    expect(downsampleLine(xs, ys, 100)).toEqual([[0, 1], [3, 4], [6]]);
    const long = Array.from({ length: 10_000 }, (_, i) => i);
    const noisy = long.map((i) => (i % 97 === 0 ? NaN : Math.sin(i / 50)));
    const runs = downsampleLine(long, noisy, 800);
    expect(runs.flat().length).toBeLessThanOrEqual(800);
    expect(runs.flat().every((i) => Number.isFinite(noisy[i]))).toBe(true);
  });

  it('averages stacked layers per bucket', () => {
    const xs = [0, 1, 2, 3, 4, 5];
    const out = bucketMeans(
      xs,
      [
        [1, 3, 5, 7, 9, 11],
        [2, NaN, 2, 2, NaN, NaN],
      ],
      3,
    );
    expect(out.xs).toEqual([0.5, 2.5, 4.5]);
    expect(out.layers).toEqual([
      [2, 6, 10],
      [2, 2, 0],
    ]);
  });

  it('formats numbers without locale', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(3200)).toBe('3200');
    expect(formatNumber(45_600)).toBe('45.6k');
    expect(formatNumber(2_500_000)).toBe('2.5M');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(0.00001)).toBe('1.0e-5');
  });

  it('draws an empty chart as such', () => {
    const svg = lineChart({
      id: 'c',
      title: 't',
      x: { label: 'x' },
      y: { label: 'y' },
      series: [],
    });
    expect(svg).toContain('no data');
  });
});

describe('weft report', () => {
  it('writes RUN_DIR/report.html by default and --out elsewhere', async () => {
    const fx = writeFixtureRun(freshDir(), { stepsPerTrainer: 20 });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await reportCommand([fx.runDir])).toBe(0);
    expect(log).toHaveBeenCalledWith(path.join(fx.runDir, 'report.html'));
    expect(readFileSync(path.join(fx.runDir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const out = path.join(tmp, 'elsewhere', 'r.html');
    expect(await reportCommand([fx.runDir, '--out', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Training report: fixture');
    expect(await writeReport(fx.runDir, path.join(tmp, 'w.html'))).toBe(path.join(tmp, 'w.html'));
  });

  it('answers usage errors and bad runs', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(reportCommand([])).rejects.toMatchObject({ field: 'RUN_DIR' });
    await expect(reportCommand(['a', '--bogus'])).rejects.toThrow(/unknown option/);
    await expect(reportCommand(['a', '--out'])).rejects.toMatchObject({
      field: '--out',
      message: expect.stringMatching(/needs a value/),
    });
    await expect(reportCommand([path.join(tmp, 'nope')])).rejects.toBeInstanceOf(InputError);
  });
});

describe('a run as the trainer writes it', () => {
  it('reads seeds/s from seeds over wall_s and the phases from the top level', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const step = (s: number) =>
      JSON.stringify({
        type: 'step',
        epoch: 0,
        step: s,
        loss: 1 / (s + 1),
        seeds: 140,
        edges: 3619,
        sample_s: 0.01,
        queue_wait_s: 0.02,
        compute_s: 0.05,
        sync_s: 0.02,
        wall_s: 0.1 * (s + 1),
        t: 1e9 + s,
      });
    const evalLine = JSON.stringify({
      type: 'eval',
      t: 1e9 + 2,
      epoch: 1,
      step: 2,
      val: { accuracy: 0.7, count: 500 },
    });
    writeFileSync(path.join(dir, 'metrics.jsonl'), `${step(0)}\n${step(1)}\n${evalLine}\n`);
    writeFileSync(
      path.join(dir, 'results.json'),
      JSON.stringify({
        task: 'node',
        epochs: 1,
        resumed_after_epoch: 0,
        best_epoch: 1,
        val: { accuracy: 0.7, count: 500 },
      }),
    );
    const run = await readRun(dir);
    expect(run.steps.seedsPerS).toEqual([1400, 700]);
    expect(run.steps.time.compute_s).toEqual([0.05, 0.05]);
    const html = renderReport(run, { generatedAt: new Date(0) });
    expect(html).toContain('median seeds/s per trainer</td><td>1050<');
    expect(html).toContain('1 epoch · resumed after epoch 0');
    expect(html).toContain('validation size</td><td>500<');
    expect(html).not.toContain('no data');
    // The evaluation chart: accuracy only (the count is a fact), at epoch 2 counted from 1.
    expect(html).not.toContain('id="chart-eval-1"');
    const evalChart = html.slice(html.indexOf('id="chart-eval-0"'));
    expect(evalChart.slice(0, evalChart.indexOf('</svg>'))).toContain('data-x0="2"');
  });

  it('shows exact-ranking metrics beside the sampled ones, their counts as facts', () => {
    const run: RunData = {
      runDir: 'exact',
      steps: emptySteps(),
      evals: [],
      events: [],
      notes: [],
      results: {
        test: {
          mrr: 0.6011,
          exact_mrr: 0.0663,
          popularity_exact_mrr: 0.0109,
          count: 5000,
          negatives: 20,
          exact_count: 5000,
          exact_candidates: 1899,
          exact_filtered: 40000,
        },
      },
    } as RunData;
    const html = renderReport(run);
    for (const m of ['exact_mrr', 'popularity_exact_mrr', '0.0663', '0.601'])
      expect(html).toContain(m);
    expect(html).toContain('each among all 1899 candidates, 40k known destinations filtered');
    expect(html).not.toMatch(/<td>exact_candidates<\/td>/);
  });
});
