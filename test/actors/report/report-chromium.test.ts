import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { writeReport } from '../../../actors/report/write-report.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { PALETTE } from '../../../actors/report/svg-chart.js';
import { writeFixtureRun, type FixtureSummary } from './report-fixture.js';

// Opens a generated report in headless Chromium (Debian's `chromium`): the DOM after its script
// ran, and a screenshot whose pixels show the charts were drawn.
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SKIP = 'chromium not installed (Debian package chromium; the test command installs it)';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-report-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function chromium(
  args: string[],
  profile: string,
): { stdout: string; stderr: string; status: number | null } {
  const res = spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(tmp, profile)}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 },
  );
  return { stdout: res.stdout ?? '', stderr: res.stderr ?? '', status: res.status };
}

interface Image {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes). */
function decodePng(buf: Buffer): Image {
  expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // bit depth
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
      expect(body[12]).toBe(0); // no interlace
    } else if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[y * stride + x - channels] : 0;
      const b = y > 0 ? data[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels] : 0;
      let v = raw[src + x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      data[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, data };
}

function countNear(img: Image, hex: string, tolerance: number, alpha = 1): number {
  // A filled layer drawn with opacity `alpha` over white shows as the blend.
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) * alpha + 255 * (1 - alpha));
  let n = 0;
  for (let i = 0; i < img.data.length; i += img.channels) {
    if (
      Math.abs(img.data[i] - rgb[0]) <= tolerance &&
      Math.abs(img.data[i + 1] - rgb[1]) <= tolerance &&
      Math.abs(img.data[i + 2] - rgb[2]) <= tolerance
    ) {
      n++;
    }
  }
  return n;
}

let fixture: FixtureSummary | undefined;
let reportFile = '';
async function report(): Promise<string> {
  if (!fixture) {
    fixture = writeFixtureRun(path.join(tmp, 'run'), {
      trainers: 2,
      stepsPerTrainer: 80,
      epochs: 4,
      nanSteps: [40],
    });
    reportFile = await writeReport(fixture.runDir, path.join(tmp, 'report.html'), {
      generatedAt: new Date(0),
    });
  }
  return pathToFileURL(reportFile).href;
}

describe('the report in headless Chromium', () => {
  it('builds the charts in the DOM and runs the page script', async (ctx) => {
    if (!CHROMIUM) return ctx.skip(SKIP);
    const url = await report();
    const res = chromium(['--dump-dom', url], 'profile-dom');
    const dom = res.stdout;
    expect(dom, res.stderr.slice(-2000)).toContain('Training report: fixture');
    const charts = [...dom.matchAll(/<svg class="chart (line|stacked|timeline)"([^>]*)>/g)];
    const interactive = charts.filter((m) => m[1] !== 'timeline');
    expect(interactive.length).toBeGreaterThanOrEqual(5);
    // The script ran: every line and stacked chart is marked and has its readout.
    for (const m of interactive) expect(m[2]).toContain('data-interactive="true"');
    expect((dom.match(/<div class="readout">/g) ?? []).length).toBe(interactive.length);

    const lossSvg = dom.slice(
      dom.indexOf('id="chart-loss"'),
      dom.indexOf('</svg>', dom.indexOf('id="chart-loss"')),
    );
    const paths = [
      ...lossSvg.matchAll(
        /<path class="series" data-series="([^"]*)" data-points="(\d+)" d="([^"]+)"/g,
      ),
    ];
    expect(paths.map((p) => p[1])).toEqual(fixture!.trainers);
    paths.forEach((p, a) => {
      const commands = (p[3].match(/[ML]/g) ?? []).length;
      expect(commands).toBe(fixture!.finiteLosses[a]);
      expect(Number(p[2])).toBe(fixture!.finiteLosses[a]);
    });
    expect((paths[0][3].match(/M/g) ?? []).length).toBe(2); // the NaN step leaves a gap
    const breakdown = dom.slice(dom.indexOf('id="chart-breakdown"'));
    const layers = [
      ...breakdown
        .slice(0, breakdown.indexOf('</svg>'))
        .matchAll(/<path class="layer"[^>]* d="([^"]+)"/g),
    ];
    expect(layers).toHaveLength(4);
    for (const l of layers) expect((l[1].match(/[ML]/g) ?? []).length).toBe(2 * 80 * 2);
  });

  it('paints the charts (screenshot pixels in the series colours)', async (ctx) => {
    if (!CHROMIUM) return ctx.skip(SKIP);
    const url = await report();
    const png = path.join(tmp, 'shot.png');
    const res = chromium([`--screenshot=${png}`, '--window-size=1280,3600', url], 'profile-shot');
    expect(existsSync(png), res.stderr.slice(-2000)).toBe(true);
    const img = decodePng(readFileSync(png));
    expect(img.width).toBe(1280);
    let ink = 0;
    for (let i = 0; i < img.data.length; i += img.channels) {
      if (img.data[i] < 230 || img.data[i + 1] < 230 || img.data[i + 2] < 230) ink++;
    }
    expect(ink / (img.width * img.height)).toBeGreaterThan(0.02);
    // Trainer lines (blue, vermillion) and the compute layer (blue at 85% over white).
    expect(countNear(img, PALETTE[0], 24)).toBeGreaterThan(500);
    expect(countNear(img, PALETTE[1], 24)).toBeGreaterThan(500);
    expect(countNear(img, PALETTE[0], 12, 0.85)).toBeGreaterThan(5000);
    expect(countNear(img, PALETTE[2], 12, 0.85)).toBeGreaterThan(500);
  });
});

describe('the report of a real training run in headless Chromium', () => {
  it('draws every chart with data: loss, throughput, step time, evaluation by epoch from 1', async (ctx) => {
    if (!CHROMIUM) return ctx.skip(SKIP);
    const graph = path.join(tmp, 'real-graph');
    const runDir = path.join(tmp, 'real-run');
    await synthPowerlaw({ nodes: 800, edges: 6000, featureDim: 8, classes: 3, seed: 2 }, graph);
    const spec = applyOverrides(defaultJobSpec(), {
      graph,
      out: runDir,
      'train.epochs': 3,
      'sampling.batchSize': 64,
      'sampling.fanouts': [5, 5],
    });
    const results = await runTraining(spec);
    const file = await writeReport(runDir, path.join(tmp, 'real.html'));
    const res = chromium(['--dump-dom', pathToFileURL(file).href], 'profile-real');
    const dom = res.stdout;
    expect(dom, res.stderr.slice(-2000)).toContain('3 epochs');
    expect(dom).not.toContain('no data');
    expect(dom).not.toMatch(/>NaN</);
    const median = /median seeds\/s per trainer<\/td><td>([^<]+)</.exec(dom);
    expect(Number(median![1].replace(/k$/, 'e3'))).toBeGreaterThan(0);

    const charts = [
      ...dom.matchAll(
        /<svg class="chart (line|stacked|timeline)" id="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g,
      ),
    ];
    const ids = charts.map((c) => c[2]);
    expect(ids).toEqual(
      expect.arrayContaining(['chart-loss', 'chart-throughput', 'chart-breakdown', 'chart-events']),
    );
    const evalCharts = ids.filter((id) => id.startsWith('chart-eval-'));
    // accuracy and macro_f1; the evaluated node counts are facts, not (flat) curves.
    expect(evalCharts).toHaveLength(2);
    expect(dom).not.toMatch(/<text class="title"[^>]*>(count|negatives)</);
    const steps = results.distributed.batches_applied;
    for (const [, kind, id, body] of charts) {
      if (kind === 'timeline') {
        expect(body).toMatch(/<circle class="event"/);
        continue;
      }
      const paths = [...body.matchAll(/<path class="(?:series|layer)"([^>]*)>/g)].map((m) => ({
        points: Number(/data-points="(\d+)"/.exec(m[1])?.[1]),
        d: / d="([^"]*)"/.exec(m[1])?.[1] ?? '',
      }));
      expect(paths.length, id).toBeGreaterThan(0);
      for (const p of paths) expect((p.d.match(/[ML]/g) ?? []).length, id).toBeGreaterThan(0);
      if (id === 'chart-loss' || id === 'chart-throughput') expect(paths[0].points, id).toBe(steps);
      if (id.startsWith('chart-eval-')) {
        const ticks = [...body.matchAll(/<text class="tick x"[^>]*>([^<]+)</g)].map((t) => t[1]);
        expect(ticks, id).toEqual(['1', '2', '3']);
        expect(paths[0].points, id).toBe(3);
      }
    }
  }, 240_000);
});
