// Edge types through the batch pipeline for the relation-aware encoder: samplers ship each sampled
// edge's relation, read at its CSR position, and the model consumes the record as it comes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { producerConfigs } from '../../../actors/plan/task-seeds.js';
import { firstLinkBatch } from './first-link-batch.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-edge-types-'));
const dir = join(tmp, 'market');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('edge types in batch records (model.encoder rgcn)', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 800, applicationsPerMember: 8, seed: 3 }, dir);
    graph = await openGraph(dir);
    await initBackend('wasm');
  });

  it("ships every sampled edge's relation, and only rgcn jobs pay for it", () => {
    const spec = applyOverrides(defaultJobSpec(), {
      graph: dir,
      task: 'link',
      'link.edgeType': 'member__applied__job',
      'model.encoder': 'rgcn',
      'model.hidden': 8,
      'sampling.fanouts': '6,4',
      'sampling.batchSize': 64,
    });
    const { view, configs } = firstLinkBatch(spec, graph);
    expect(configs.train.edgeTypes).toBe(true);
    expect(configs.train.fuseFirstLayer).toBe(false);
    const R = graph.edgeTypes.length;
    const seen = new Set<number>();
    for (const b of view.model.blocks) {
      expect(b.edgeType?.length).toBe(b.indices.length);
      for (const t of b.edgeType!) seen.add(t);
    }
    expect([...seen].every((t) => t >= 0 && t < R)).toBe(true);
    expect(seen.size).toBeGreaterThan(2);
    // A seed's own edges are relations whose source is the seed's node type.
    const last = view.model.blocks[view.model.blocks.length - 1];
    for (let i = 0; i < last.numDst; i++) {
      const type = graph.nodeTypes[graph.nodeTypeOf(view.seeds[i])].name;
      for (let k = last.indptr[i]; k < last.indptr[i + 1]; k++)
        expect(graph.edgeTypes[last.edgeType![k]].src).toBe(type);
    }
    const model = buildModel(spec, graph.dim, 1, R);
    model.setParams(model.init(1));
    const out = model.forward(view.model);
    expect(out.length).toBe(last.numDst * 8);
    expect(out.every(Number.isFinite)).toBe(true);
    model.dispose();
    const sage = producerConfigs(applyOverrides(spec, { 'model.encoder': 'sage' })).train;
    expect(sage.edgeTypes).toBeUndefined();
    expect(sage.sampler.returnEdgeIds).toBeUndefined();
  });
});
