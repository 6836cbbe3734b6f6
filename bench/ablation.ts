// The LiGNN ablation: one link-prediction job on a synthetic marketplace, run in configurations that
// add each training speed-up in turn, on the same data and seeds; records/s, time to AUC, time split.
//
//   npx tsx bench/ablation.ts [--members N] [--epochs E] ...   (or: weft bench ablation)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { runTraining } from '../actors/coordinator/train-job.js';
import { type EpochSummary } from '../actors/coordinator/run-results.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../actors/job-spec.js';
import { synthMarketplace } from '../graph-store/synth-marketplace.js';
import { ConfigError } from '../runtime/errors.js';
import { gitCommit } from './git-commit.js';

export interface AblationOptions {
  /** Marketplace size (jobs = members / 4, as the generator derives). */
  members: number;
  applicationsPerMember: number;
  /** Epochs of every configuration (AUC is compared after the same number). */
  epochs: number;
  /** Batches per epoch (0 = every training edge). */
  stepsPerEpoch: number;
  batchSize: number;
  hidden: number;
  /** Fanout cap: the baseline samples every hop at it; adaptive sampling grows up to it. */
  cap: number;
  /** Adaptive sampling: starting fanout, step and stall threshold. */
  adaptiveStart: number;
  adaptiveStep: number;
  threshold: number;
  samplers: number;
  prefetch: number;
  groupSize: number;
  stepsPerGroup: number;
  localSteps: number;
  mlpInitEpochs: number;
  evalMaxNodes: number;
  /** Validation AUC the time-to-AUC is measured to; NaN: the baseline's final AUC minus 0.01. */
  targetAuc: number;
  seed: number;
  /** Where the graph and runs go (a temporary directory when empty); removed unless kept. */
  workDir: string;
  keep: boolean;
  /** Results JSON and chart; empty: bench/results/ablation-<date>.{json,svg}. */
  out: string;
  /** Names of configurations to run (empty: all). */
  only: string[];
  onLog?: (line: string) => void;
}

export const DEFAULT_ABLATION: AblationOptions = {
  members: 10_000,
  applicationsPerMember: 10,
  epochs: 4,
  stepsPerEpoch: 20,
  batchSize: 256,
  hidden: 32,
  cap: 200,
  adaptiveStart: 10,
  adaptiveStep: 10,
  threshold: 0.005,
  samplers: 2,
  prefetch: 4,
  groupSize: 5,
  stepsPerGroup: 2,
  localSteps: 4,
  mlpInitEpochs: 1,
  evalMaxNodes: 500,
  targetAuc: NaN,
  seed: 1,
  workDir: '',
  keep: false,
  out: '',
  only: [],
};

/** One configuration: a name, what it adds, and its job-spec overrides (cumulative). */
export interface AblationConfig {
  name: string;
  adds: string;
  overrides: Record<string, unknown>;
}

/** The issue's configurations: baseline, each technique added in turn, then all + MLPinit. */
export function ablationConfigs(o: AblationOptions): AblationConfig[] {
  const cap = `${o.cap},${o.cap}`;
  const baseline = {
    'sampling.fanouts': cap,
    'sampling.handoff': 'inline',
    'sampling.samplers': 1,
    'link.groupSize': 1,
    'link.stepsPerGroup': 1,
    'train.localSteps': 1,
  };
  const clone = { ...baseline, 'sampling.handoff': 'clone', 'sampling.samplers': o.samplers };
  const shm = { ...clone, 'sampling.handoff': 'shm' };
  const grouped = {
    ...shm,
    'link.groupSize': o.groupSize,
    'link.stepsPerGroup': Math.min(o.stepsPerGroup, o.groupSize),
  };
  const adaptive = {
    ...grouped,
    'sampling.adaptive.enabled': true,
    'sampling.adaptive.start': String(o.adaptiveStart),
    'sampling.adaptive.step': o.adaptiveStep,
    'sampling.adaptive.cap': o.cap,
    'sampling.adaptive.threshold': o.threshold,
  };
  const local = { ...adaptive, 'train.localSteps': o.localSteps, 'train.lrScaling': 'sqrt' };
  const mlp = {
    ...local,
    'train.mlpInit.enabled': true,
    'train.mlpInit.epochs': o.mlpInitEpochs,
  };
  return [
    {
      name: 'baseline',
      adds: `fanout ${cap}, inline, 1 record/query, per-step sync`,
      overrides: baseline,
    },
    {
      name: '+prefetch(clone)',
      adds: `${o.samplers} sampler threads, postMessage clone`,
      overrides: clone,
    },
    { name: '+shm queue', adds: 'shared-memory queue instead of clone', overrides: shm },
    {
      name: '+grouping',
      adds: `groups of ${o.groupSize}, ${Math.min(o.stepsPerGroup, o.groupSize)} steps per group`,
      overrides: grouped,
    },
    {
      name: '+adaptive',
      adds: `fanouts from ${o.adaptiveStart} (+${o.adaptiveStep} on a stall, cap ${o.cap})`,
      overrides: adaptive,
    },
    {
      name: '+local agg',
      adds: `${o.localSteps} batches per sync (all together)`,
      overrides: local,
    },
    { name: 'all + MLPinit', adds: `MLPinit, ${o.mlpInitEpochs} epoch(s)`, overrides: mlp },
  ];
}

export interface AblationRow {
  name: string;
  adds: string;
  recordsPerS: number;
  /** Training seconds (MLPinit included, evaluation excluded) to reach the target AUC; null: never. */
  timeToAucS: number | null;
  trainSeconds: number;
  finalValAuc: number;
  bestValAuc: number;
  aucByEpoch: number[];
  /** Mean seconds per step on the trainer's path, and (for prefetch) what the samplers spent. */
  split: { sample: number; gather: number; handoff: number; compute: number; sync: number };
  speedupThroughput: number;
  speedupTimeToAuc: number | null;
  fanouts: number[];
  syncs: number;
  memberEncodingsPerRecord: number;
  clonedBytes: number;
  mlpInitS: number;
}

/** A configuration's training: seconds per epoch, validation AUC after each, MLPinit seconds first. */
export interface AucCurve {
  epochS: number[];
  auc: number[];
  mlpS: number;
}

/** Training seconds (MLPinit included) until the first evaluation at or above target; null if never. */
export function timeToAuc(c: AucCurve, target: number): number | null {
  let t = c.mlpS;
  for (let e = 0; e < c.auc.length; e++) {
    t += c.epochS[e];
    if (c.auc[e] >= target) return t;
  }
  return null;
}

/** Each row's throughput and time-to-AUC as multiples of the baseline's. */
export function setSpeedups(
  rows: Pick<
    AblationRow,
    'recordsPerS' | 'timeToAucS' | 'speedupThroughput' | 'speedupTimeToAuc'
  >[],
  baseline: Pick<AblationRow, 'recordsPerS' | 'timeToAucS'>,
): void {
  for (const row of rows) {
    row.speedupThroughput = row.recordsPerS / baseline.recordsPerS;
    row.speedupTimeToAuc =
      row.timeToAucS !== null && baseline.timeToAucS !== null
        ? baseline.timeToAucS / row.timeToAucS
        : null;
  }
}

export interface AblationReport {
  machine: string;
  cores: number;
  node: string;
  date: string;
  commit: string;
  loadavgStart: number[];
  loadavgEnd: number[];
  /** inproc: this runner; nats: bench/ablation-nats.ts (every actor its own process). */
  transport: 'inproc' | 'nats';
  options: Omit<AblationOptions, 'onLog'>;
  graph: { members: number; applications: number; nodes?: number };
  targetAuc: number;
  results: AblationRow[];
}

/** The job spec of one configuration: the benchmark's fixed settings under its overrides. */
export function jobSpec(
  o: AblationOptions,
  graph: string,
  out: string,
  over: Record<string, unknown>,
): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name: 'ablation',
    graph,
    out,
    task: 'link',
    'model.layers': 2,
    'model.hidden': o.hidden,
    'model.dropout': 0.1,
    'sampling.batchSize': o.batchSize,
    'sampling.prefetch': o.prefetch,
    'train.epochs': o.epochs,
    'train.lr': 0.005,
    'train.seed': o.seed,
    'train.maxStepsPerEpoch': o.stepsPerEpoch,
    'train.checkpointEvery': 0,
    'link.edgeType': 'member__applied__job',
    'link.negatives': 'uniform',
    'link.numNegatives': 1,
    'eval.maxNodes': o.evalMaxNodes,
    ...over,
  });
}

interface StepLine {
  type: string;
  sample_s: number;
  gather_s?: number;
  queue_wait_s: number;
  compute_s: number;
  sync_s: number;
}

/** Mean time split of a run's steady steps, read from its metrics.jsonl. */
export function meanSplit(runDir: string): AblationRow['split'] {
  const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StepLine)
    .filter((l) => l.type === 'step');
  const steady = steps.slice(Math.min(3, Math.floor(steps.length / 5)));
  const n = Math.max(1, steady.length);
  const mean = (f: (s: StepLine) => number) => steady.reduce((a, s) => a + f(s), 0) / n;
  return {
    sample: mean((s) => s.sample_s - (s.gather_s ?? 0)),
    gather: mean((s) => s.gather_s ?? 0),
    handoff: mean((s) => s.queue_wait_s),
    compute: mean((s) => s.compute_s),
    sync: mean((s) => s.sync_s),
  };
}

/** Runs every configuration in one process, in order; writes the JSON and the SVG chart. */
export async function runAblation(options: Partial<AblationOptions> = {}): Promise<{
  report: AblationReport;
  jsonPath: string;
  svgPath: string;
}> {
  const o: AblationOptions = { ...DEFAULT_ABLATION, ...options };
  const log = o.onLog ?? (() => undefined);
  const work = o.workDir ? resolve(o.workDir) : mkdtempSync(join(os.tmpdir(), 'weft-ablation-'));
  mkdirSync(work, { recursive: true });
  const loadavgStart = os.loadavg();
  const graphDir = join(work, `market-${o.members}-${o.applicationsPerMember}-${o.seed}`);
  try {
    if (!existsSync(join(graphDir, 'manifest.json'))) {
      log(
        `generating marketplace: ${o.members} members, ${o.applicationsPerMember} applications each`,
      );
      await synthMarketplace(
        { members: o.members, applicationsPerMember: o.applicationsPerMember, seed: o.seed },
        graphDir,
      );
    }
    const configs = ablationConfigs(o).filter(
      (c) => o.only.length === 0 || o.only.includes(c.name),
    );
    const rows: AblationRow[] = [];
    const curves: AucCurve[] = [];
    for (const c of configs) {
      const runDir = join(work, `run-${rows.length}`);
      rmSync(runDir, { recursive: true, force: true });
      const spec = jobSpec(o, graphDir, runDir, c.overrides);
      const epochs: EpochSummary[] = [];
      log(`${c.name}: ${c.adds}`);
      const r = await runTraining(spec, { onEpoch: (e) => epochs.push(e) });
      const auc = epochs.map((e) => e.val?.auc ?? NaN);
      const mlpS = r.speedups?.mlp_init_s ?? 0;
      curves.push({ epochS: epochs.map((e) => e.seconds), auc, mlpS });
      const trainSeconds = mlpS + epochs.reduce((a, e) => a + e.seconds, 0);
      rows.push({
        name: c.name,
        adds: c.adds,
        recordsPerS: r.throughput.seeds_per_s,
        timeToAucS: null,
        trainSeconds,
        finalValAuc: auc[auc.length - 1],
        bestValAuc: Math.max(...auc),
        aucByEpoch: auc,
        split: meanSplit(runDir),
        speedupThroughput: 1,
        speedupTimeToAuc: null,
        fanouts: r.speedups?.fanouts ?? [],
        syncs: r.speedups?.syncs ?? 0,
        memberEncodingsPerRecord: r.speedups?.member_encodings_per_record ?? 1,
        clonedBytes: r.speedups?.cloned_bytes ?? 0,
        mlpInitS: mlpS,
      });
      log(
        `  ${r.throughput.seeds_per_s.toFixed(0)} records/s, val AUC ${auc.map((a) => a.toFixed(4)).join(' ')}, fanouts ${rows[rows.length - 1].fanouts.join(',')}`,
      );
    }
    // Time to the target: training seconds until the first evaluation at or above it.
    const baseline = rows.find((r) => r.name === 'baseline') ?? rows[0];
    const target = Number.isFinite(o.targetAuc) ? o.targetAuc : baseline.finalValAuc - 0.01;
    rows.forEach((row, i) => {
      row.timeToAucS = timeToAuc(curves[i], target);
    });
    setSpeedups(rows, baseline);
    const date = new Date().toISOString();
    const { onLog: _drop, ...recorded } = o;
    const report: AblationReport = {
      machine: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      date,
      commit: gitCommit(),
      loadavgStart,
      loadavgEnd: os.loadavg(),
      transport: 'inproc',
      options: recorded,
      graph: { members: o.members, applications: o.members * o.applicationsPerMember },
      targetAuc: target,
      results: rows,
    };
    const stem = o.out || join('bench', 'results', `ablation-${date.slice(0, 10)}`);
    const jsonPath = stem.endsWith('.json') ? stem : `${stem}.json`;
    const svgPath = jsonPath.replace(/\.json$/, '.svg');
    mkdirSync(resolve(jsonPath, '..'), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(svgPath, ablationChart(report));
    return { report, jsonPath, svgPath };
  } finally {
    if (!o.keep && !o.workDir) rmSync(work, { recursive: true, force: true });
  }
}

/** The results as a markdown table (bench/NOTES.md, README). */
export function ablationTable(report: AblationReport): string {
  const f = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
  const lines = [
    '| configuration | records/s | speed-up | time to AUC (s) | speed-up | val AUC (final) | fanouts | member enc./record | syncs | step split ms: sample / gather / hand-off / compute / sync |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const s = r.split;
    const ms = (x: number) => (x * 1000).toFixed(1);
    lines.push(
      `| ${r.name} | ${f(r.recordsPerS, 0)} | ${f(r.speedupThroughput, 2)}x | ${f(r.timeToAucS)} | ${r.speedupTimeToAuc === null ? '—' : `${f(r.speedupTimeToAuc, 2)}x`} | ${f(r.finalValAuc, 4)} | ${r.fanouts.join(',')} | ${f(r.memberEncodingsPerRecord, 2)} | ${r.syncs} | ${ms(s.sample)} / ${ms(s.gather)} / ${ms(s.handoff)} / ${ms(s.compute)} / ${ms(s.sync)} |`,
    );
  }
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An SVG bar chart: throughput and time-to-AUC speed-ups per configuration, val AUC beside. */
export function ablationChart(report: AblationReport): string {
  const rows = report.results;
  const W = 820;
  const rowH = 34;
  const top = 60;
  const left = 150;
  const barW = 420;
  const H = top + rows.length * rowH + 50;
  const maxSpeed = Math.max(
    1,
    ...rows.map((r) => r.speedupThroughput),
    ...rows.map((r) => r.speedupTimeToAuc ?? 0),
  );
  const x = (v: number) => left + (v / maxSpeed) * barW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">LiGNN speed-ups, one at a time (${esc(report.transport)}; ${report.options.members} members; ${esc(report.machine)}, ${report.cores} cores)</text>`,
    `<rect x="${left}" y="30" width="12" height="10" fill="#3b6fb6"/><text x="${left + 16}" y="39">throughput speed-up</text>`,
    `<rect x="${left + 150}" y="30" width="12" height="10" fill="#e08a2c"/><text x="${left + 166}" y="39">time-to-AUC ${report.targetAuc.toFixed(3)} speed-up</text>`,
    `<text x="${left + barW + 70}" y="39">val AUC (final)</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(r.name)}</text>`);
    out.push(
      `<rect x="${left}" y="${y + 2}" width="${x(r.speedupThroughput) - left}" height="12" fill="#3b6fb6"/>`,
    );
    out.push(
      `<text x="${x(r.speedupThroughput) + 4}" y="${y + 12}">${r.speedupThroughput.toFixed(2)}x</text>`,
    );
    if (r.speedupTimeToAuc !== null) {
      out.push(
        `<rect x="${left}" y="${y + 16}" width="${x(r.speedupTimeToAuc) - left}" height="12" fill="#e08a2c"/>`,
      );
      out.push(
        `<text x="${x(r.speedupTimeToAuc) + 4}" y="${y + 26}">${r.speedupTimeToAuc.toFixed(2)}x</text>`,
      );
    } else
      out.push(`<text x="${left + 4}" y="${y + 26}" fill="#a00">target AUC not reached</text>`);
    out.push(`<text x="${left + barW + 70}" y="${y + 18}">${r.finalValAuc.toFixed(4)}</text>`);
  });
  const axisY = top + rows.length * rowH + 8;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + barW}" y2="${axisY}" stroke="#444"/>`);
  for (let v = 0; v <= Math.ceil(maxSpeed); v += Math.max(1, Math.ceil(maxSpeed / 8))) {
    out.push(`<line x1="${x(v)}" y1="${axisY}" x2="${x(v)}" y2="${axisY + 4}" stroke="#444"/>`);
    out.push(`<text x="${x(v)}" y="${axisY + 16}" text-anchor="middle">${v}x</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Parses `--flag value` options of the benchmark (shared by `weft bench ablation`). */
export function parseAblationArgs(argv: string[]): Partial<AblationOptions> & { json?: boolean } {
  const out: Record<string, unknown> = {};
  const numeric = new Set(
    Object.entries(DEFAULT_ABLATION)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--'))
      throw new ConfigError(`unexpected argument ${a}`, { file: 'command line' });
    const key = a.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === 'json' || key === 'keep') {
      out[key] = true;
      continue;
    }
    if (!numeric.has(key) && !['only', 'workDir', 'out'].includes(key))
      throw new ConfigError('unknown option', { file: 'command line', field: a });
    const v = argv[++i];
    if (v === undefined) throw new ConfigError('needs a value', { file: 'command line', field: a });
    if (numeric.has(key)) {
      const n = Number(v);
      if (!Number.isFinite(n))
        throw new ConfigError(`expected a number, got ${v}`, { file: 'command line', field: a });
      out[key] = n;
    } else if (key === 'only') out.only = v.split(',').map((s) => s.trim());
    else out[key] = v;
  }
  return out as Partial<AblationOptions> & { json?: boolean };
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('bench/ablation.ts')
) {
  const args = parseAblationArgs(process.argv.slice(2));
  const { report, jsonPath, svgPath } = await runAblation({
    ...args,
    onLog: (l) => console.log(l),
  });
  console.log(`\n${ablationTable(report)}\n\nwrote ${jsonPath} and ${svgPath}`);
}
