// `weft bench quality`: the LiGNN modelling ablation. Each row is a spec overlay over one base link
// job on the marketplace with planted signals (cold members, drifting intent); every row runs for
// several seeds and reports test AUC, MRR and recall@10 overall and on the cold-start slice, and the
// training time, as mean ± std. Rows whose fields this build's spec does not know are skipped, named.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { runTraining } from '../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../actors/job-spec.js';
import { escapeXml } from '../actors/report/svg-chart.js';
import { synthMarketplace } from '../graph-store/synth-marketplace.js';
import { ConfigError } from '../runtime/errors.js';
import { COLLEGEMSG_DATA, collegeMsgGraph } from './quality/collegemsg-graph.js';
import { runRecord } from './quality/run-record.js';

/** One row of the ablation: a name and the spec fields it sets over the base. */
export interface QualityRow {
  name: string;
  overlay: Record<string, unknown>;
}

// The similar relation at its own fanout: merged into the fanout of 10, k = 50 added edges crowded
// a member's own out (bench/NOTES.md).
const DENSIFY = {
  'densify.enabled': true,
  'densify.k': 50,
  'sampling.relationFanouts': { similar: [5, 5] },
};
const ID = { 'model.idEmbedding.enabled': true };
const TEMPORAL = { 'model.temporal.enabled': true };
const LONG_TERM = { ...TEMPORAL, 'model.temporal.longTerm.enabled': true };
const TARGET_RECENCY = { 'model.temporal.targetRecency': true };
const RECENCY = { ...TEMPORAL, ...TARGET_RECENCY };
const PPR = { 'sampling.ppr.topK': 8 };

/** The rows, in order; a row naming a field the job spec does not have is skipped, naming it. */
export const QUALITY_ROWS: readonly QualityRow[] = [
  { name: 'static sage', overlay: {} },
  { name: '+ ID embeddings', overlay: ID },
  { name: '+ temporal model', overlay: TEMPORAL },
  { name: '+ long-term loss', overlay: LONG_TERM },
  { name: '+ target recency', overlay: RECENCY },
  // The control: the same term on static GraphSAGE, the temporal model off.
  { name: '+ target recency (static)', overlay: TARGET_RECENCY },
  { name: '+ densification', overlay: DENSIFY },
  { name: '+ PPR neighbours', overlay: PPR },
  { name: 'all', overlay: { ...ID, ...LONG_TERM, ...DENSIFY, ...PPR } },
];

export const QUALITY_METRICS = [
  'auc',
  'mrr',
  'recall@10',
  'cold_auc',
  'cold_mrr',
  'cold_recall@10',
  'train_s',
] as const;

export type QualityDataset = 'marketplace' | 'collegemsg';

export interface QualityOptions {
  dataset: QualityDataset;
  members: number;
  coldMembers: number;
  intentDrift: number;
  seeds: number;
  epochs: number;
  only?: string[];
  workDir: string;
  out: string;
}

export const DEFAULT_QUALITY: QualityOptions = {
  dataset: 'marketplace',
  members: 3000,
  coldMembers: 0.2,
  intentDrift: 0.3,
  seeds: 3,
  epochs: 2,
  workDir: '',
  out: '',
};

/**
 * The base job every row overlays: temporal link prediction with GraphSAGE. Marketplace: members'
 * applications, newest 10 % test; CollegeMsg: messages, chronological 70/15/15 (as its quality bar).
 */
export function qualityBaseSpec(
  dataset: QualityDataset,
  graph: string,
  out: string,
  seed: number,
  epochs: number,
): JobSpec {
  const common = {
    name: `quality-${dataset}-${seed}`,
    graph,
    out,
    task: 'link',
    'model.hidden': 64,
    'sampling.strategy': 'temporal',
    'sampling.batchSize': 512,
    'train.epochs': epochs,
    'train.seed': seed,
    'link.numNegatives': 5,
  };
  const own =
    dataset === 'marketplace'
      ? {
          'model.dropout': 0.1,
          'sampling.fanouts': [10, 5],
          'train.lr': 0.005,
          'link.edgeType': 'member__applied__job',
          'eval.maxNodes': 4000,
          'densify.nodeType': 'member',
        }
      : {
          'model.decoder': 'cosine',
          'link.valFraction': 0.15,
          'link.testFraction': 0.15,
          'eval.maxNodes': 5000,
        };
  return applyOverrides(defaultJobSpec(), { ...common, ...own });
}

type Stat = { mean: number; std: number };
export interface QualityRowResult {
  name: string;
  overlay: Record<string, unknown>;
  skipped?: string;
  runs?: Record<string, number>[];
  stats?: Record<string, Stat>;
}

function stat(xs: number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

/** Recorded beside QUALITY_METRICS when a row ranks exactly (eval.ranking: exact). */
export const EXACT_METRICS = [
  'exact_auc',
  'exact_mrr',
  'exact_recall@10',
  'exact_cold_auc',
  'exact_cold_mrr',
  'exact_cold_recall@10',
] as const;

/** One row over every seed, or why it was skipped (a field the spec schema does not know). */
export async function runRow(
  row: QualityRow,
  o: QualityOptions,
  graph: string,
): Promise<QualityRowResult> {
  const result: QualityRowResult = { name: row.name, overlay: row.overlay };
  const runs: Record<string, number>[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    const out = join(o.workDir, 'runs', `${row.name.replace(/[^a-z]+/gi, '-')}-${seed}`);
    let spec: JobSpec;
    try {
      spec = applyOverrides(qualityBaseSpec(o.dataset, graph, out, seed, o.epochs), row.overlay);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return { ...result, skipped: `the job spec does not know a field: ${err.message}` };
    }
    // Each run starts from nothing: a run folder of an earlier invocation is the bench's own.
    rmSync(out, { recursive: true, force: true });
    let r: Awaited<ReturnType<typeof runTraining>>;
    try {
      r = await runTraining({ ...spec, out });
    } catch (err) {
      // One row's failure is its result; the other rows still run.
      return { ...result, skipped: `failed at seed ${seed}: ${(err as Error).message}` };
    }
    const m: Record<string, number> = { train_s: r.duration_s };
    for (const k of QUALITY_METRICS) if (k !== 'train_s') m[k] = r.test[k] ?? NaN;
    for (const k of EXACT_METRICS) if (r.test[k] !== undefined) m[k] = r.test[k];
    // Validation figures too, so options can be chosen without looking at the test split.
    for (const k of [...QUALITY_METRICS, ...EXACT_METRICS])
      if (r.val[k] !== undefined) m[`val_${k}`] = r.val[k];
    runs.push(m);
  }
  const keys = Object.keys(runs[0]);
  const stats = Object.fromEntries(keys.map((k) => [k, stat(runs.map((m) => m[k]))]));
  return { ...result, runs, stats };
}

/** The dataset's graph in the work folder, made once. */
export async function datasetGraph(o: QualityOptions): Promise<string> {
  if (o.dataset === 'collegemsg') {
    const graph = await collegeMsgGraph(join(o.workDir, 'collegemsg'));
    if (!graph)
      throw new ConfigError(`CollegeMsg not found at ${COLLEGEMSG_DATA}`, { field: '--dataset' });
    return graph;
  }
  const graph = join(o.workDir, `market-${o.members}-${o.coldMembers}-${o.intentDrift}`);
  if (!existsSync(graph))
    await synthMarketplace(
      { members: o.members, seed: 1, coldMembers: o.coldMembers, intentDrift: o.intentDrift },
      graph,
    );
  return graph;
}

/** Runs the rows; writes `out`.json and `out`.svg. */
export async function runQualityAblation(o: QualityOptions) {
  mkdirSync(o.workDir, { recursive: true });
  // The machine's load beside the numbers: train_s compares only between runs at a like load.
  const loadAtStart = os.loadavg();
  const graph = await datasetGraph(o);
  const rows: QualityRowResult[] = [];
  for (const row of QUALITY_ROWS) {
    if (o.only && !o.only.includes(row.name)) continue;
    rows.push(await runRow(row, o, graph));
  }
  const report = {
    ...runRecord(),
    load_average: { start: loadAtStart, end: os.loadavg() },
    bench: `quality/${o.dataset}`,
    options: { ...o, workDir: undefined },
    protocol: `${o.dataset === 'marketplace' ? 'marketplace with planted cold members and intent drift; newest 10 % of applications test' : 'CollegeMsg messages, chronological 70/15/15'}; 20 filtered negatives per test pair; cold slice: sources with < 3 training interactions; mean ± sample std over seeds`,
    rows,
  };
  mkdirSync(resolve(o.out, '..'), { recursive: true });
  writeFileSync(`${o.out}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${o.out}.svg`, qualityChart(rows));
  return report;
}

/** The table: one line per row, mean ± std of every metric. */
export function qualityTable(rows: QualityRowResult[]): string {
  const head = ['row', ...QUALITY_METRICS].map((h) => h.padEnd(16)).join('');
  const lines = rows.map((r) =>
    r.stats
      ? [
          r.name.padEnd(16),
          ...QUALITY_METRICS.map((k) =>
            `${r.stats![k].mean.toFixed(k === 'train_s' ? 1 : 4)}±${r.stats![k].std.toFixed(k === 'train_s' ? 1 : 4)}`.padEnd(
              16,
            ),
          ),
        ].join('')
      : `${r.name.padEnd(16)}skipped: ${r.skipped}`,
  );
  return [head, ...lines].join('\n');
}

/** Bars of recall@10 overall and on the cold slice per row, with their std as whiskers. */
export function qualityChart(rows: QualityRowResult[]): string {
  const ran = rows.filter((r) => r.stats);
  const W = 720;
  const left = 150;
  const barW = 460;
  const rowH = 40;
  const H = 70 + ran.length * rowH;
  const x = (v: number) => left + v * barW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">Test recall@10 (mean ± std over seeds)</text>`,
    `<rect x="${left}" y="30" width="12" height="10" fill="#3b6fb6"/><text x="${left + 16}" y="39">overall</text>`,
    `<rect x="${left + 90}" y="30" width="12" height="10" fill="#e08a2c"/><text x="${left + 106}" y="39">cold-start members</text>`,
  ];
  ran.forEach((r, i) => {
    const y = 50 + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end">${escapeXml(r.name)}</text>`);
    (['recall@10', 'cold_recall@10'] as const).forEach((k, j) => {
      const { mean, std } = r.stats![k];
      const yy = y + 2 + j * 16;
      const fill = j === 0 ? '#3b6fb6' : '#e08a2c';
      out.push(
        `<rect x="${left}" y="${yy}" width="${x(mean) - left}" height="12" fill="${fill}"/>`,
      );
      out.push(
        `<line x1="${x(mean - std)}" y1="${yy + 6}" x2="${x(mean + std)}" y2="${yy + 6}" stroke="#222"/>`,
      );
      out.push(`<text x="${x(mean + std) + 4}" y="${yy + 10}">${mean.toFixed(3)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
