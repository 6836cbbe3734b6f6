// The densification bar on the planted marketplace, its members' content at `--strength S` (0: the
// generator's default features, the earlier rerun's graph), its cold members listing only
// `--cold-profile-skills N` skills when given: static encoders with and without
// densification, exact ranking too, the same seeds; options are compared on validation (val_*).
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DEFAULT_QUALITY,
  qualityTable,
  runRow,
  type QualityRow,
  type QualityRowResult,
} from '../quality-ablation.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { runRecord, writeResult } from './run-record.js';

const EXACT = { 'eval.ranking': 'exact' };
const RGCN = { 'model.encoder': 'rgcn' };
/** The rerun's densification: k 50, the similar relation drawn 5 per hop beside a member's own. */
const DENSIFY = {
  'densify.enabled': true,
  'densify.k': 50,
  'sampling.relationFanouts': { similar: [5, 5] },
};

export const CONTENT_ROWS: readonly QualityRow[] = [
  { name: 'sage', overlay: EXACT },
  { name: 'sage + densify', overlay: { ...EXACT, ...DENSIFY } },
  { name: 'rgcn', overlay: { ...EXACT, ...RGCN } },
  { name: 'rgcn + densify', overlay: { ...EXACT, ...RGCN, ...DENSIFY } },
];

/** The planted marketplace of the quality bench, with member content at `strength`. */
async function contentGraph(
  workDir: string,
  strength: number,
  coldProfileSkills: number | undefined,
): Promise<string> {
  const o = DEFAULT_QUALITY;
  const listed = coldProfileSkills === undefined ? '' : `-k${coldProfileSkills}`;
  const graph = join(
    workDir,
    `market-${o.members}-${o.coldMembers}-${o.intentDrift}-c${strength}${listed}`,
  );
  if (!existsSync(graph))
    await synthMarketplace(
      {
        members: o.members,
        seed: 1,
        coldMembers: o.coldMembers,
        intentDrift: o.intentDrift,
        memberContent: strength,
        coldProfileSkills,
      },
      graph,
    );
  return graph;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      strength: { type: 'string', default: '1' },
      // Skills a cold member lists as edges (default: all; see --cold-profile-skills).
      'cold-profile-skills': { type: 'string' },
      seeds: { type: 'string', default: '3' },
      epochs: { type: 'string', default: String(DEFAULT_QUALITY.epochs) },
      only: { type: 'string' },
      // More rows: NAME=JSON overlay (over exact ranking), repeatable.
      row: { type: 'string', multiple: true, default: [] },
      tag: { type: 'string', default: '' },
    },
  });
  const strength = Number(values.strength);
  const listedArg = values['cold-profile-skills'];
  const coldProfileSkills = listedArg === undefined ? undefined : Number(listedArg);
  const extra = values.row.map((r): QualityRow => {
    const at = r.indexOf('=');
    return { name: r.slice(0, at), overlay: { ...EXACT, ...JSON.parse(r.slice(at + 1)) } };
  });
  const only = values.only?.split(',');
  const rows = [...CONTENT_ROWS.filter((r) => !only || only.includes(r.name)), ...extra];
  const listed = coldProfileSkills === undefined ? '' : `-k${coldProfileSkills}`;
  const name = `densify-content-s${strength}${listed}${values.tag ? `-${values.tag}` : ''}`;
  const o = {
    ...DEFAULT_QUALITY,
    seeds: Number(values.seeds),
    epochs: Number(values.epochs),
    workDir: join(tmpdir(), 'weft-densify-content'),
    out: resolve('bench', 'quality', 'results', name),
  };
  mkdirSync(o.workDir, { recursive: true });
  const graph = await contentGraph(o.workDir, strength, coldProfileSkills);
  const loadAtStart = loadavg();
  const done: QualityRowResult[] = [];
  for (const row of rows) {
    done.push(await runRow(row, o, graph));
    console.log(qualityTable(done));
  }
  const report = {
    ...runRecord(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    bench: 'quality/densify-content',
    options: { ...o, memberContent: strength, coldProfileSkills },
    rows: done,
  };
  writeResult(`${o.out}.json`, report);
  console.log(`wrote ${o.out}.json`);
}

await main();
