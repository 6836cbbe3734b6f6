// Featureless node types that read their nodes' ID rows (model.featurelessInput id) through weft
// train, weft eval and weft embed: on a planted task where only an item's identity carries signal,
// the learned per-node rows beat the per-type constant vector by a clear margin.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import type { TrainResults } from '../../../actors/coordinator/run-results.js';
import { embedRun } from '../../../actors/inference/embed-run.js';
import { readEmbeddings } from '../../../actors/inference/embedding-format.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import {
  applyOverrides,
  defaultJobSpec,
  usesIdTable,
  type JobSpec,
} from '../../../actors/job-spec.js';
import { idTableConfigOf } from '../../../actors/parameter-server/id-table-spec.js';
import { producerConfigs } from '../../../actors/plan/task-seeds.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { tempRoot } from './fixture.js';
import { CLUSTERS, ITEMS, writePlantedClicks } from '../../helpers/planted-clicks.js';

const tmp = tempRoot('weft-featureless-id-');
afterAll(tmp.cleanup);

describe('featureless types reading per-node ID rows (model.featurelessInput id)', () => {
  const graph = join(tmp.dir, 'clicks');
  const specOf = (name: string, featureless: 'id' | 'vector'): JobSpec =>
    applyOverrides(defaultJobSpec(), {
      name,
      graph,
      out: join(tmp.dir, name),
      task: 'link',
      'model.inputProjection': 'per-type',
      'model.featurelessInput': featureless,
      'model.hidden': 16,
      'model.dropout': 0.1,
      'model.idEmbedding.lr': 0.2,
      'sampling.fanouts': '8,4',
      'sampling.batchSize': 128,
      'sampling.handoff': 'inline',
      'link.numNegatives': 2,
      'train.epochs': 6,
      'train.lr': 0.02,
      'train.seed': 5,
      'eval.maxNodes': 1000,
    });
  let withIds: TrainResults;
  let constant: TrainResults;
  beforeAll(async () => {
    await buildTypedGraph({ inputs: writePlantedClicks(tmp.dir), out: graph });
    withIds = await runTraining(specOf('ids', 'id'));
    constant = await runTraining(specOf('vector', 'vector'));
  }, 300_000);

  it('beats the constant vector when only identity carries signal', () => {
    expect(withIds.test.count).toBeGreaterThan(300);
    expect(constant.test.auc).toBeLessThan(0.7);
    expect(withIds.test.auc).toBeGreaterThan(constant.test.auc + 0.25);
  });

  it('holds a learned row per item, no row for users (they have features)', async () => {
    const g = await openGraph(graph);
    const item = g.nodeTypes.find((t) => t.name === 'item')!;
    expect(item.count).toBe(ITEMS);
    const ckpt = latestCheckpoint(join(tmp.dir, 'ids', 'checkpoints'))!;
    const ids = new Int32Array(ckpt.tensors.get('idEmbedding.table.ids')!.buffer);
    const rows = ckpt.tensors.get('idEmbedding.table.rows')!;
    expect(ids.length).toBe(ITEMS);
    for (const id of ids) expect(g.nodeTypeOf(id)).toBe(g.nodeTypes.indexOf(item));
    expect(rows.length).toBe(ITEMS * 16);
    // Rows differ node by node.
    const row = (k: number) => rows.subarray(k * 16, (k + 1) * 16);
    const distinct = new Set(Array.from(ids, (_, k) => row(k).join(',')));
    expect(distinct.size).toBe(ITEMS);
    // The vector variant has no table, and one vector for the item type.
    const plain = latestCheckpoint(join(tmp.dir, 'vector', 'checkpoints'))!;
    expect(plain.tensors.has('idEmbedding.table.rows')).toBe(false);
    const t = g.nodeTypes.indexOf(item);
    expect(plain.tensors.get(`input${t}.vector`)?.length).toBe(16);
    expect(ckpt.tensors.get(`input${t}.vector`)?.length).toBe(16);
  });

  it('weft eval scores the checkpoint with its table, as training scored it', async () => {
    const report = await evaluateRun(join(tmp.dir, 'ids'));
    expect(report.test!.count).toBe(withIds.test.count);
    expect(report.test!.auc).toBeCloseTo(withIds.test.auc, 4);
    const plain = await evaluateRun(join(tmp.dir, 'vector'));
    expect(report.test!.auc).toBeGreaterThan(plain.test!.auc + 0.25);
  }, 120_000);

  it('weft embed gives items rows that follow their clusters', async () => {
    const out = join(tmp.dir, 'emb');
    await embedRun(join(tmp.dir, 'ids'), { out, nodes: 'item' });
    const e = readEmbeddings(out, 'ids');
    expect(e.ids.length).toBe(ITEMS);
    const dim = e.manifest.dim;
    const cos = (a: number, b: number) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let d = 0; d < dim; d++) {
        const x = e.embeddings[a * dim + d];
        const y = e.embeddings[b * dim + d];
        ab += x * y;
        aa += x * x;
        bb += y * y;
      }
      return ab / Math.sqrt(aa * bb);
    };
    const clusterOf = (k: number) => {
      const name = e.originalIds![k][1];
      return Math.floor(Number(name.slice('item-'.length)) / (ITEMS / CLUSTERS));
    };
    let same = 0;
    let sameN = 0;
    let other = 0;
    let otherN = 0;
    for (let a = 0; a < ITEMS; a++)
      for (let b = a + 1; b < ITEMS; b++) {
        if (clusterOf(a) === clusterOf(b)) {
          same += cos(a, b);
          sameN++;
        } else {
          other += cos(a, b);
          otherN++;
        }
      }
    expect(same / sameN).toBeGreaterThan(other / otherN + 0.2);
  }, 120_000);
});

describe('model.featurelessInput against the rest of the spec', () => {
  const base = { task: 'link', 'model.hidden': 16 };
  it('makes a model.hidden wide table without the output add-on, and refuses what cannot work', () => {
    const spec = applyOverrides(defaultJobSpec(), {
      ...base,
      'model.inputProjection': 'per-type',
      'model.featurelessInput': 'id',
    });
    expect(usesIdTable(spec)).toBe(true);
    expect(idTableConfigOf(spec, 1)?.dim).toBe(16);
    expect(producerConfigs(spec).train.nodeIds).toBe(true);
    expect(usesIdTable(applyOverrides(spec, { 'model.featurelessInput': 'vector' }))).toBe(false);
    expect(() => applyOverrides(defaultJobSpec(), { 'model.featurelessInput': 'id' })).toThrow(
      /model\.featurelessInput.*per-type/,
    );
    expect(() =>
      applyOverrides(spec, { 'model.idEmbedding.enabled': true, 'model.idEmbedding.dim': 8 }),
    ).toThrow(/model\.idEmbedding\.dim.*model\.hidden \(16\)/);
    expect(() => applyOverrides(spec, { 'train.sync': 'local-sgd' })).toThrow(/train\.sync/);
    expect(() => applyOverrides(spec, { 'model.idEmbedding.lr': 0 })).toThrow(
      /model\.idEmbedding\.lr/,
    );
    // Both: one table, the seeds' rows added to the output and featureless inputs' read.
    const both = applyOverrides(spec, { 'model.idEmbedding.enabled': true });
    expect(idTableConfigOf(both, 1)?.dim).toBe(16);
  });
});
