// The densification rerun on the planted marketplace: the similar relation drawn at its own fanout
// (so it adds neighbours instead of displacing a member's own), with and without the relation-aware
// encoder, ranked exactly as well as against sampled negatives; the same seeds and graph as the bar.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import {
  DEFAULT_QUALITY,
  datasetGraph,
  qualityTable,
  runRow,
  type QualityRow,
  type QualityRowResult,
} from '../quality-ablation.js';
import { runRecord } from './run-record.js';

const EXACT = { 'eval.ranking': 'exact' };
const RGCN = { 'model.encoder': 'rgcn' };
/** k 50 as the default; the similar relation draws 5 per hop beside a member's own 10 and 5. */
const DENSIFY = {
  'densify.enabled': true,
  'densify.k': 50,
  'sampling.relationFanouts': { similar: [5, 5] },
};

export const DENSIFY_ROWS: readonly QualityRow[] = [
  { name: 'sage', overlay: EXACT },
  { name: 'sage + densify', overlay: { ...EXACT, ...DENSIFY } },
  { name: 'rgcn', overlay: { ...EXACT, ...RGCN } },
  { name: 'rgcn + densify', overlay: { ...EXACT, ...RGCN, ...DENSIFY } },
];

async function main(): Promise<void> {
  const only = process.argv[2]?.split(',');
  const o = {
    ...DEFAULT_QUALITY,
    workDir: join(tmpdir(), 'weft-densify-rerun'),
    out: resolve('bench', 'results', `densify-rerun-${new Date().toISOString().slice(0, 10)}`),
  };
  mkdirSync(o.workDir, { recursive: true });
  const graph = await datasetGraph(o);
  const rows: QualityRowResult[] = [];
  for (const row of DENSIFY_ROWS) {
    if (only && !only.includes(row.name)) continue;
    rows.push(await runRow(row, o, graph));
    console.log(qualityTable(rows));
  }
  const report = { ...runRecord(), bench: 'quality/densify-rerun', options: o, rows };
  writeFileSync(`${o.out}.json`, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${o.out}.json`);
}

await main();
