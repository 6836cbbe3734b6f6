// Node types through the batch pipeline for per-type input projections: samplers ship each input row's
// type (one byte a row), the model reads the record as it comes, the spec refuses degree columns
// (they belong to no type), and an embedded job trains and checkpoints one projection per node type.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, firstLayerFused } from '../../../actors/job-spec.js';
import { producerConfigs } from '../../../actors/plan/task-seeds.js';
import { firstLinkBatch } from './first-link-batch.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { typeColumnsOf } from '../../../graph-store/type-columns.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-node-types-'));
const dir = join(tmp, 'market');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE = {
  graph: dir,
  task: 'link',
  'link.edgeType': 'member__applied__job',
  'model.inputProjection': 'per-type',
  'model.hidden': 8,
  'sampling.fanouts': '6,4',
  'sampling.batchSize': 64,
};

describe('node types in batch records (model.inputProjection per-type)', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace(
      { members: 600, featureDim: 16, typedFeatures: true, viewsPerMember: 3, seed: 3 },
      dir,
    );
    graph = await openGraph(dir);
    await initBackend('wasm');
  });

  it("ships every input row's type, consistent with the relations that reached it", () => {
    const spec = applyOverrides(defaultJobSpec(), { ...BASE, 'model.encoder': 'rgcn' });
    const { view, configs } = firstLinkBatch(spec, graph);
    expect(configs.train.nodeTypes).toBe(true);
    expect(configs.eval.nodeTypes).toBe(true);
    const types = view.model.nodeType!;
    const b0 = view.model.blocks[0];
    expect(types).toBeInstanceOf(Uint8Array);
    expect(types.length).toBe(b0.numSrc);
    for (let i = 0; i < view.numSeeds; i++) expect(types[i]).toBe(graph.nodeTypeOf(view.seeds[i]));
    // A neighbour reached over relation r is of r's destination type.
    const typeIndex = (name: string) => graph.nodeTypes.findIndex((t) => t.name === name);
    for (const b of view.model.blocks)
      for (let k = 0; k < b.indices.length; k++)
        expect(types[b.indices[k]]).toBe(typeIndex(graph.edgeTypes[b.edgeType![k]].dst));
    expect(new Set(types).size).toBe(4);
    const columns = typeColumnsOf(graph.manifest);
    const model = buildModel(spec, graph.dim, 1, graph.edgeTypes.length, columns);
    model.setParams(model.init(1));
    const out = model.forward(view.model);
    expect(out.length).toBe(view.numSeeds * 8);
    expect(out.every(Number.isFinite)).toBe(true);
    model.dispose();
    // shared: no types travel, and the sage first layer stays fused.
    const shared = applyOverrides(spec, { 'model.inputProjection': 'shared' });
    expect(producerConfigs(shared).train.nodeTypes).toBeUndefined();
    const sage = applyOverrides(shared, { 'model.encoder': 'sage' });
    expect(firstLayerFused(sage)).toBe(true);
    expect(firstLayerFused(applyOverrides(sage, { 'model.inputProjection': 'per-type' }))).toBe(
      false,
    );
  });

  it('refuses degree columns, naming the field; partition samplers carry types', () => {
    const spec = applyOverrides(defaultJobSpec(), BASE);
    const parted = applyOverrides(spec, { 'cluster.partitions': 'auto', 'cluster.samplers': 2 });
    expect(producerConfigs(parted).train.nodeTypes).toBe(true);
    expect(() => applyOverrides(spec, { 'model.structuralFeatures': true })).toThrow(
      /model\.structuralFeatures/,
    );
  });

  it('trains embedded with one projection per node type in the checkpoint', async () => {
    const out = join(tmp, 'run');
    const r = await runTraining(
      applyOverrides(defaultJobSpec(), { ...BASE, out, 'train.epochs': 1, 'eval.maxNodes': 300 }),
    );
    expect(r.test.auc).toBeGreaterThan(0.55);
    const ckpt = latestCheckpoint(join(out, 'checkpoints'))!;
    // member and job 16 columns, skill 8, company 4, each to the hidden width 8.
    expect([0, 1, 2, 3].map((t) => ckpt.tensors.get(`input${t}.weight`)?.length)).toEqual([
      128, 128, 64, 32,
    ]);
    expect(ckpt.tensors.get('sage0.weight')?.length).toBe(2 * 8 * 8);
  }, 240_000);
});
