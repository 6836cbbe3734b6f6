// The speed-up switches do what docs/speedups.md claims: fanouts grow only on a stall, grouping
// encodes fewer members per record, slices split groups fairly, and MLPinit moves the weights.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedsOf } from '../../../actors/plan/task-seeds.js';
import { producerConfigs } from '../../../actors/plan/task-seeds.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { AdaptiveFanouts, withFanouts } from '../../../actors/plan/adaptive-fanouts.js';
import {
  groupedEpochPlan,
  groupLinkEdges,
  groupSlices,
  memberEncodingsPerRecord,
  sliceLinkTarget,
} from '../../../actors/plan/link-groups.js';
import { mlpInitParams, selfLoopBatch } from '../../../actors/trainer/mlp-init.js';
import { RECENCY_PARAM } from '../../../kernels/nn/target-recency.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-speedups-'));

function linkSpec(graph: string, over: Record<string, unknown> = {}): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph,
    task: 'link',
    'link.edgeType': 'member__applied__job',
    'model.hidden': 16,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 100,
    ...over,
  });
}

describe('adaptive fanouts', () => {
  it('grow by the step, only when the gain is under the threshold, never past the cap', () => {
    for (let seed = 0; seed < 50; seed++) {
      const rng = new Xoshiro128Float(seed, 1);
      const settings = { start: [1 + (seed % 7)], step: 1 + (seed % 5), cap: 20, threshold: 0.01 };
      const a = new AdaptiveFanouts(settings, 2);
      let expected = [settings.start[0], settings.start[0]];
      let prev = NaN;
      for (let e = 0; e < 30; e++) {
        const metric = 0.5 + 0.05 * (rng.next() - 0.3);
        const d = a.observe(metric);
        const stall = Number.isFinite(prev) && metric - prev < settings.threshold;
        const canGrow = expected.some((f) => f < settings.cap);
        if (stall && canGrow)
          expected = expected.map((f) => Math.min(settings.cap, f + settings.step));
        expect(d.grew).toBe(stall && canGrow);
        expect(d.fanouts).toEqual(expected);
        prev = metric;
      }
    }
  });

  it('never grow while the metric keeps improving', () => {
    const a = new AdaptiveFanouts({ start: [3, 4], step: 5, cap: 200, threshold: 0.005 }, 2);
    for (let e = 0; e < 20; e++) expect(a.observe(0.5 + 0.01 * e).grew).toBe(false);
    expect(a.fanouts).toEqual([3, 4]);
  });

  it('keep an all-neighbours evaluation config, replace a fanout config', () => {
    const c = {
      sampler: { strategy: 'uniform' as const, fanouts: [-1, -1] },
      fuseFirstLayer: true,
      numNegatives: 0,
    };
    expect(withFanouts(c, [7, 7]).sampler.fanouts).toEqual([-1, -1]);
    const d = { ...c, sampler: { ...c.sampler, fanouts: [3, 3] } };
    expect(withFanouts(d, [7, 8]).sampler.fanouts).toEqual([7, 8]);
  });

  it('validate: a start per layer or one for all', () => {
    expect(() => applyOverrides(defaultJobSpec(), { 'sampling.adaptive.start': '1,2,3' })).toThrow(
      ConfigError,
    );
    expect(() =>
      applyOverrides(defaultJobSpec(), { 'link.groupSize': 2, 'link.stepsPerGroup': 3 }),
    ).toThrow(/stepsPerGroup|S <= G/);
  });
});

describe('grouping and slicing', () => {
  it('groups a source edges in time order, sliced at G, sharing the earliest time', () => {
    for (let seed = 0; seed < 30; seed++) {
      const rng = new Xoshiro128Float(seed, 2);
      const n = 200;
      const src = new Int32Array(n);
      const times = new Float64Array(n);
      for (let e = 0; e < n; e++) {
        src[e] = Math.floor(rng.next() * 15);
        times[e] = Math.floor(rng.next() * 1000);
      }
      const train = Int32Array.from({ length: n }, (_, i) => i).filter(() => rng.next() < 0.8);
      const G = 1 + (seed % 6);
      const g = groupLinkEdges(src, times, train, G);
      expect([...g.edges].sort((a, b) => a - b)).toEqual([...train]);
      const trainSet = new Set(train);
      for (let q = 0; q + 1 < g.start.length; q++) {
        const ids = [...g.edges.subarray(g.start[q], g.start[q + 1])];
        expect(ids.length).toBeGreaterThan(0);
        expect(ids.length).toBeLessThanOrEqual(G);
        expect(new Set(ids.map((e) => src[e])).size).toBe(1);
        const minT = Math.min(...ids.map((e) => times[e]));
        expect(times[ids[0]]).toBe(minT);
        for (const e of ids) expect(g.times[e]).toBe(minT);
      }
      // Held-out edges keep their own times.
      for (let e = 0; e < n; e++) if (!trainSet.has(e)) expect(g.times[e]).toBe(times[e]);
      const plan = groupedEpochPlan(g, 16, seed, 0);
      expect([...plan.order].sort((a, b) => a - b)).toEqual([...train]);
    }
  });

  it('slices give every step its share of each group, covering every pair once', () => {
    for (let seed = 0; seed < 30; seed++) {
      const rng = new Xoshiro128Float(seed, 3);
      const runs: number[] = [];
      const src: number[] = [];
      for (let r = 0; r < 12; r++) {
        const m = 1 + Math.floor(rng.next() * 7);
        runs.push(m);
        for (let k = 0; k < m; k++) src.push(r);
      }
      const S = 1 + (seed % 5);
      const slices = groupSlices(Int32Array.from(src), S);
      const all = slices.flatMap((s) => [...s]).sort((a, b) => a - b);
      expect(all).toEqual(src.map((_, i) => i));
      expect(slices.length).toBe(Math.min(S, Math.max(...runs)));
      for (const s of slices) {
        const per = new Map<number, number>();
        for (const p of s) per.set(src[p], (per.get(src[p]) ?? 0) + 1);
        for (const [r, c] of per) expect(c).toBeLessThanOrEqual(Math.ceil(runs[r] / S));
      }
      const link = {
        src: Int32Array.from(src),
        dst: Int32Array.from(src, (_, i) => 1000 + i),
        negDst: Int32Array.from({ length: src.length * 2 }, (_, i) => 5000 + i),
        numNegatives: 2,
      };
      const cut = sliceLinkTarget(link, slices[0]);
      for (let i = 0; i < slices[0].length; i++) {
        const p = slices[0][i];
        expect(cut.dst[i]).toBe(1000 + p);
        expect(cut.negDst![2 * i + 1]).toBe(5000 + 2 * p + 1);
      }
    }
  });

  describe('on a marketplace', () => {
    const dir = join(tmp, 'market');
    let graph: SharedGraph;
    beforeAll(async () => {
      await synthMarketplace({ members: 1500, applicationsPerMember: 10, seed: 4 }, dir);
      graph = await openGraph(dir);
    });

    function encodingsPerRecord(spec: JobSpec): { perRecord: number; nodes: number } {
      const seeds = seedsOf(spec, graph);
      const src = seeds.source.kind === 'link' ? seeds.source : undefined;
      const groups =
        spec.link.groupSize > 1
          ? groupLinkEdges(src!.src, src!.times, seeds.train, spec.link.groupSize)
          : undefined;
      const source = groups ? { ...src!, times: groups.times } : src!;
      const plan = groups
        ? groupedEpochPlan(groups, spec.sampling.batchSize, 0, 0)
        : makeEpochPlan(seeds.train, spec.sampling.batchSize, 0, 0);
      const producer = new BatchProducer(graph, producerConfigs(spec, seeds.negativeRange).train);
      let members = 0;
      let records = 0;
      let nodes = 0;
      for (let b = 0; b < 8; b++) {
        const req = requestFor(source, plan.order, 0, b, spec.sampling.batchSize, b + 1);
        const f = producer.produce(req, (s) => allocateArrays<BatchFields>(s));
        const srcLocal = f.src as Int32Array;
        members += memberEncodingsPerRecord(srcLocal) * srcLocal.length;
        records += srcLocal.length;
        nodes += f.dims[1];
      }
      return { perRecord: members / records, nodes };
    }

    it('encodes each member about once per group instead of once per record', () => {
      const one = encodingsPerRecord(linkSpec(dir));
      const five = encodingsPerRecord(linkSpec(dir, { 'link.groupSize': 5 }));
      expect(one.perRecord).toBeGreaterThan(0.95);
      expect(five.perRecord).toBeLessThan(0.4);
      expect(five.perRecord).toBeGreaterThanOrEqual(1 / 5);
      // Fewer member neighbourhoods read: a smaller sampled input layer for the same records.
      expect(five.nodes).toBeLessThan(one.nodes);
    });

    it('MLPinit moves the starting weights without reading the graph structure, and lowers its loss', async () => {
      const spec = linkSpec(dir, { 'train.mlpInit.enabled': true, 'train.maxStepsPerEpoch': 10 });
      const seeds = seedsOf(spec, graph);
      const model = buildModel(spec, graph.dim, 1);
      const initial = model.init(0);
      model.dispose();
      const one = await mlpInitParams(spec, graph, seeds.source, seeds.train, initial);
      const three = await mlpInitParams(
        applyOverrides(spec, { 'train.mlpInit.epochs': 3 }),
        graph,
        seeds.source,
        seeds.train,
        initial,
      );
      expect(one.steps).toBe(10);
      let moved = 0;
      for (const [name, v] of initial) {
        const w = one.params.get(name)!;
        for (let i = 0; i < v.length; i++) if (w[i] !== v[i]) moved++;
      }
      expect(moved).toBeGreaterThan(0);
      expect(three.lastLoss).toBeLessThan(one.lastLoss);
      // The MLP batch is self loops only: block l > 0 rows each hold the node itself.
      const b = selfLoopBatch(graph, Int32Array.from([3, 9, 27]), 2);
      expect([...b.blocks[1].indptr]).toEqual([0, 1, 2, 3]);
      expect([...b.blocks[1].indices]).toEqual([0, 1, 2]);
      const d = graph.dim;
      expect([...b.layer0!.subarray(0, d)]).toEqual([...b.layer0!.subarray(d, 2 * d)]);
    });

    it("MLPinit trains the static model's target-recency term from each target's gap", async () => {
      const spec = linkSpec(dir, {
        'train.mlpInit.enabled': true,
        'train.maxStepsPerEpoch': 10,
        'model.temporal.targetRecency': true,
      });
      const seeds = seedsOf(spec, graph);
      const model = buildModel(spec, graph.dim, 1);
      const initial = model.init(0);
      model.dispose();
      expect(initial.get(RECENCY_PARAM)!.every((v) => v === 0)).toBe(true);
      const one = await mlpInitParams(spec, graph, seeds.source, seeds.train, initial);
      expect(one.steps).toBe(10);
      expect(one.params.get(RECENCY_PARAM)!.some((v) => v !== 0)).toBe(true);
      expect(Number.isFinite(one.lastLoss)).toBe(true);
    });

    it('MLPinit trains GAT weights on raw features, each node attending to itself alone', async () => {
      const spec = linkSpec(dir, {
        'model.encoder': 'gat',
        'model.attention.heads': 4,
        'train.mlpInit.enabled': true,
        'train.maxStepsPerEpoch': 10,
      });
      const seeds = seedsOf(spec, graph);
      const model = buildModel(spec, graph.dim, 1);
      const initial = model.init(0);
      model.dispose();
      const one = await mlpInitParams(spec, graph, seeds.source, seeds.train, initial);
      const three = await mlpInitParams(
        applyOverrides(spec, { 'train.mlpInit.epochs': 3 }),
        graph,
        seeds.source,
        seeds.train,
        initial,
      );
      const w0 = one.params.get('gat0.weight')!;
      expect(w0.some((v, i) => v !== initial.get('gat0.weight')![i])).toBe(true);
      expect(three.lastLoss).toBeLessThan(one.lastLoss);
      // Unfused: layer 0 reads the features themselves and no block has an edge.
      const b = selfLoopBatch(graph, Int32Array.from([3, 9, 27]), 2, false);
      expect(b.layer0).toBeUndefined();
      expect(b.features.length).toBe(3 * graph.dim);
      expect(b.blocks.every((k) => k.indices.length === 0 && k.numDst === 3)).toBe(true);
    });
  });
});
