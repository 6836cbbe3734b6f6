// A typed graph built from users' tables trains like a synthetic one: node classification with
// unlabelled nodes and per-type feature widths, link prediction on a random stored split, a featureless
// web graph, and `weft embed` rows named by the original ids.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { embedRun } from '../../../actors/inference/embed-run.js';
import { readEmbeddings } from '../../../actors/inference/embedding-format.js';
import { defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { ConfigError } from '../../../runtime/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { tempRoot } from './fixture.js';

const tmp = tempRoot('weft-typed-run-');
afterAll(tmp.cleanup);

const USERS = 600;
const ITEMS = 120;

/** Users in 3 classes (features: noisy class signal; every 10th unlabelled), items of a class each. */
function writeInputs(dir: string): string {
  const rng = new Mulberry32(3);
  const cls = (u: number) => u % 3;
  const splitOf = (u: number) => (u % 5 < 3 ? 'train' : u % 5 === 3 ? 'val' : 'test');
  const users = ['uid,a,b,c,label,split'];
  for (let u = 0; u < USERS; u++) {
    const f = [0, 1, 2].map((k) => (k === cls(u) ? 1 : 0) + 0.6 * (rng.next() - 0.5));
    const label = u % 10 === 9 ? (u % 20 === 9 ? '-1' : '') : String(cls(u));
    users.push(`user-${u},${f.map((x) => x.toFixed(3)).join(',')},${label},${splitOf(u)}`);
  }
  writeFileSync(join(dir, 'users.csv.gz'), gzipSync(users.join('\n') + '\n'));
  const itemIds = Array.from({ length: ITEMS }, (_, i) => 10_000_000_000n + BigInt(i));
  const cols = Array.from({ length: 5 }, (_, k) => ({
    name: `x${k}`,
    data: itemIds.map((_id, i) => (k === i % 3 ? 1 : 0) + rng.next() * 0.2),
    type: 'DOUBLE' as const,
  }));
  parquetWriteFile({
    filename: join(dir, 'items.parquet'),
    columnData: [{ name: 'item', data: itemIds, type: 'INT64' }, ...cols],
    rowGroupSize: 50,
  });
  const clicks = ['user,item'];
  for (let u = 0; u < USERS; u++)
    for (let j = 0; j < 4; j++) {
      const i = (rng.int(ITEMS / 3) * 3 + cls(u)) % ITEMS;
      clicks.push(`user-${u},${itemIds[i]}`);
    }
  writeFileSync(join(dir, 'clicks.csv'), clicks.join('\n') + '\n');
  const tags = ['item\ttag'];
  for (let i = 0; i < ITEMS; i++) tags.push(`${itemIds[i]}\ttag-${i % 7}`);
  writeFileSync(join(dir, 'tags.tsv'), tags.join('\n') + '\n');
  const yaml = join(dir, 'graph.yaml');
  writeFileSync(
    yaml,
    `nodes:
  - { type: user, file: users.csv.gz, id: uid, features: [a, b, c], label: label, split: split }
  - { type: item, file: items.parquet, id: item, features: [x0, x1, x2, x3, x4] }
edges:
  - file: clicks.csv
    relation: clicked
    src: user
    dst: item
    srcColumn: user
    dstColumn: item
    split: { random: { val: 0.1, test: 0.1, seed: 2 } }
  - { file: tags.tsv, relation: tagged, src: item, dst: tag, srcColumn: item, dstColumn: tag }
`,
  );
  return yaml;
}

function spec(name: string, graph: string, task: 'node' | 'link'): JobSpec {
  const s = defaultJobSpec();
  s.name = name;
  s.graph = graph;
  s.out = join(tmp.dir, `run-${name}`);
  s.task = task;
  s.model.hidden = 16;
  s.sampling.fanouts = [5, 5];
  s.sampling.batchSize = 128;
  s.sampling.handoff = 'inline';
  s.train.epochs = 3;
  s.train.seed = 7;
  return s;
}

describe('a typed graph from tables in weft train and weft embed', () => {
  const graph = join(tmp.dir, 'typed');

  it('classifies users (unlabelled ones skipped) and predicts clicks on the stored split', async () => {
    await buildTypedGraph({ inputs: writeInputs(tmp.dir), out: graph });
    const node = await runTraining(spec('typed-node', graph, 'node'));
    expect(node.val.accuracy).toBeGreaterThan(0.6); // 3 classes: chance is 1/3
    const link = await runTraining(spec('typed-link', graph, 'link'));
    expect(Number.isFinite(link.val.auc)).toBe(true);
    expect(link.test.auc).toBeGreaterThan(0.7);
  }, 120_000);

  it('writes embeddings with the original ids of every row', async () => {
    const out = join(tmp.dir, 'emb');
    const w = await embedRun(join(tmp.dir, 'run-typed-link'), { out, nodes: 'item' });
    expect(w.manifest.files.originalIds?.length).toBe(ITEMS);
    const e = readEmbeddings(out, 'typed-link');
    expect(e.originalIds!.slice(0, 2)).toEqual([
      ['item', '10000000000'],
      ['item', '10000000001'],
    ]);
    const text = readFileSync(join(e.dir, 'original_ids.tsv'), 'utf8').trim().split('\n');
    expect(text.length).toBe(ITEMS);
    expect(text[ITEMS - 1]).toBe(`item\t${10_000_000_000 + ITEMS - 1}`);
  }, 60_000);

  it('trains link prediction on a featureless graph built from edges alone', async () => {
    const rng = new Mulberry32(9);
    const rows = ['src,dst'];
    for (let i = 0; i < 1500; i++) {
      const a = rng.int(300);
      // Two communities: most links stay inside one.
      const b = rng.next() < 0.9 ? (a < 150 ? rng.int(150) : 150 + rng.int(150)) : rng.int(300);
      if (a !== b) rows.push(`https://site/${a},https://site/${b}`);
    }
    writeFileSync(join(tmp.dir, 'web.csv'), rows.join('\n') + '\n');
    const yaml = join(tmp.dir, 'web.yaml');
    writeFileSync(
      yaml,
      'edges:\n  - { file: web.csv, relation: links, src: page, dst: page, undirected: true, split: { random: { seed: 1 } } }\n',
    );
    const web = join(tmp.dir, 'web');
    const m = await buildTypedGraph({ inputs: yaml, out: web });
    expect(m.features!.dim).toBe(1);
    // The constant input alone makes every node look alike; learned ID embeddings tell them apart.
    const s = spec('web-link', web, 'link');
    s.model.idEmbedding.enabled = true;
    s.model.idEmbedding.lr = 0.3;
    s.sampling.batchSize = 64;
    s.train.epochs = 8;
    const r = await runTraining(s);
    expect(Number.isFinite(r.test.auc)).toBe(true);
    expect(r.test.auc).toBeGreaterThan(0.58);
  }, 120_000);

  it('says how to make a featureless edge list trainable instead of only refusing it', async () => {
    const edges = join(tmp.dir, 'plain.tsv');
    writeFileSync(edges, '0\t1\n1\t2\n2\t0\n');
    const plain = join(tmp.dir, 'plain');
    await buildGraph({ edges, out: plain });
    const run = runTraining(spec('plain-link', plain, 'link'));
    await expect(run).rejects.toThrow(ConfigError);
    await expect(runTraining(spec('plain-link2', plain, 'link'))).rejects.toThrow(/build --inputs/);
  });
});
