// sampling.ppr through the batch pipeline: each seed's row ends with its top-k PPR nodes, shipped as
// the relation after the graph's own for the relation-aware encoder (whose weights count it), and
// joining the neighbourhood for GraphSAGE; the spec refuses the placements it cannot serve.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { viewBatch, type BatchView } from '../../../actors/batch/batch-view.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-ppr-batches-'));
const dir = join(tmp, 'market');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TOP_K = 4;

describe('sampling.ppr in batch records', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 800, applicationsPerMember: 8, seed: 3 }, dir);
    graph = await openGraph(dir);
    await initBackend('wasm');
  });

  const specOf = (o: Record<string, unknown>): JobSpec =>
    applyOverrides(defaultJobSpec(), {
      graph: dir,
      task: 'link',
      'link.edgeType': 'member__applied__job',
      'model.hidden': 8,
      'sampling.fanouts': '6,4',
      'sampling.batchSize': 64,
      'sampling.ppr.topK': TOP_K,
      ...o,
    });

  function firstBatch(spec: JobSpec): BatchView {
    const seeds = seedsOf(spec, graph);
    const producer = new BatchProducer(graph, producerConfigs(spec, seeds.negativeRange).train);
    const plan = makeEpochPlan(seeds.train, 64, 0, 0);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const f = producer.produce(requestFor(source!, plan.order, 0, 0, 64, 1), (s) =>
      allocateArrays<BatchFields>(s),
    );
    return viewBatch(f);
  }

  it("ends each seed's row with its PPR nodes as one more relation, weighed by rgcn", () => {
    const spec = specOf({ 'model.encoder': 'rgcn' });
    const view = firstBatch(spec);
    const R = graph.edgeTypes.length;
    const blocks = view.model.blocks;
    const last = blocks[blocks.length - 1];
    let full = 0;
    for (let i = 0; i < last.numDst; i++) {
      const types = Array.from(last.edgeType!.subarray(last.indptr[i], last.indptr[i + 1]));
      const ppr = types.filter((t) => t === R).length;
      expect(ppr).toBeLessThanOrEqual(TOP_K);
      // The PPR nodes come after the drawn edges.
      expect(types.slice(types.length - ppr).every((t) => t === R)).toBe(true);
      expect(types.slice(0, types.length - ppr).every((t) => t >= 0 && t < R)).toBe(true);
      if (ppr === TOP_K) full++;
    }
    expect(full).toBeGreaterThan(last.numDst / 2);
    // sampling.ppr.hops 1: rows of hop-1 nodes (block 0 past the seeds) have none.
    const b0 = blocks[0];
    for (let k = b0.indptr[last.numDst]; k < b0.indices.length; k++)
      expect(b0.edgeType![k]).toBeLessThan(R);
    const model = buildModel(spec, graph.dim, 1, R);
    const relations = model.paramSpecs().find((p) => p.name === 'rgcn1.relations');
    expect(relations?.shape[0]).toBe((R + 1) * spec.model.hidden);
    model.setParams(model.init(1));
    const out = model.forward(view.model);
    expect(out.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('joins the GraphSAGE neighbourhood: seeds get topK more edges, and no edge types ship', () => {
    const off = firstBatch(specOf({ 'sampling.ppr.topK': 0, 'sampling.fuseFirstLayer': false }));
    const on = firstBatch(specOf({ 'sampling.fuseFirstLayer': false }));
    const last = (v: BatchView) => v.model.blocks[v.model.blocks.length - 1];
    expect(last(on).edgeType).toBeUndefined();
    expect(last(on).numDst).toBe(last(off).numDst);
    const gained = last(on).indices.length - last(off).indices.length;
    expect(gained).toBeGreaterThan(last(on).numDst * (TOP_K - 1));
    expect(gained).toBeLessThanOrEqual(last(on).numDst * TOP_K);
  });

  it('refuses what it cannot serve, naming the field', () => {
    const field = (o: Record<string, unknown>) => {
      try {
        specOf(o);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).field;
      }
      return 'no error';
    };
    expect(field({ 'sampling.ppr.hops': 3 })).toBe('sampling.ppr.hops');
    expect(field({ 'cluster.partitions': 2, 'cluster.samplers': 2 })).toBe('sampling.ppr.topK');
    expect(field({ task: 'node', 'sampling.strategy': 'weighted', 'link.edgeType': '' })).toBe(
      'sampling.ppr.topK',
    );
    expect(field({ 'sampling.ppr.alpha': 1 })).toBe('sampling.ppr.alpha');
  });
});
