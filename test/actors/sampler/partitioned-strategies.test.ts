// Partition-owning samplers for link tasks (typed marketplace graph, temporal windows, negatives,
// grouping, node types for per-type projections) and weighted node sampling: with 2 and 3 parts,
// every record equals the whole graph's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchSeed } from '../../../actors/plan/epoch-plan.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import {
  chooseLinkRelation,
  linkNegativeRange,
  splitPartitionedLinks,
} from '../../../actors/sampler/partition-link-seeds.js';
import { PartitionBatchBuilder } from '../../../actors/sampler/partition-sampler-builder.js';
import { PartitionOwner } from '../../../actors/sampler/partition-sampler-owner.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer, type ProducerConfig } from '../../../actors/batch/batch-producer.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { epochPlanOf, groupedSource, linkGroupsOf } from '../../../actors/plan/link-groups.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { partitionGraph } from '../../../graph-store/partition.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { edgeTypeKey } from '../../../graph-store/types.js';
import { Xoshiro128 } from '../../../runtime/prng.js';
import { ConfigError } from '../../../runtime/errors.js';
import { jobGraph } from '../../../actors/plan/feature-norm.js';
import { cutoffOfSplit, trainingCutoff } from '../../../actors/plan/structural-features.js';
import {
  inDegreeCounts,
  PartitionStructural,
} from '../../../actors/sampler/partition-structural.js';
import { openParts, peersOf, expectSameBatch } from '../../helpers/partitions.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-partitioned-strategies-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

/** The link split from every part's edges, as a partition-owning sampler gathers it. */
function partitionedSplit(owners: PartitionOwner[], spec: JobSpec) {
  const part = owners[0].part;
  const chosen = chooseLinkRelation(part.edgeTypes, spec.link.edgeType);
  const key = edgeTypeKey(chosen);
  return splitPartitionedLinks(
    owners.map((o) => o.linkEdges(key)),
    key,
    spec.link.valFraction,
    spec.link.testFraction,
    linkNegativeRange(part, chosen),
  );
}

describe('partitioned link batches on a typed marketplace graph', () => {
  const g = join(tmp, 'market');
  let whole: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 500, applicationsPerMember: 6, featureDim: 12, seed: 3 }, g, {
      featureDtype: 'float16',
    });
    whole = await openGraph(g);
  });

  const specOf = (over: Record<string, unknown>) =>
    applyOverrides(defaultJobSpec(), {
      graph: g,
      task: 'link',
      'sampling.fanouts': '5,3',
      'sampling.batchSize': 48,
      'train.seed': 4,
      ...over,
    });

  for (const parts of [2, 3]) {
    it(`${parts} parts: the time split equals seedsOf and every link batch is byte-identical`, async () => {
      const dir = join(tmp, `market-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      expect(owners[0].part.edgeTypes.length).toBeGreaterThan(2);
      // The default relation (first timestamped) and a named one.
      for (const edgeType of ['', 'job__rev_applied__member']) {
        const spec = specOf({ 'link.edgeType': edgeType });
        const want = seedsOf(spec, whole);
        const got = partitionedSplit(owners, spec);
        expect(want.source.kind).toBe('link');
        if (want.source.kind !== 'link') return;
        expect(got.source.src.length).toBeGreaterThan(1000);
        expect(sameBytes(got.source.src, want.source.src)).toBe(true);
        expect(sameBytes(got.source.dst, want.source.dst)).toBe(true);
        expect(sameBytes(got.source.times!, want.source.times!)).toBe(true);
        expect(sameBytes(got.train, want.train)).toBe(true);
        expect(sameBytes(got.val, want.val)).toBe(true);
        expect(sameBytes(got.test, want.test)).toBe(true);
        expect(got.negativeRange).toEqual(want.negativeRange);
      }
      const calls = owners.map(() => 0);
      const peers = peersOf(owners, calls);
      // `evaluate` takes the eval sampler: every neighbour (-1) and 20 negatives per pair.
      const cases: { over: Record<string, unknown>; fused: boolean; evaluate?: boolean }[] = [
        { over: { 'sampling.strategy': 'uniform', 'link.numNegatives': 2 }, fused: true },
        { over: { 'sampling.strategy': 'temporal', 'link.numNegatives': 1 }, fused: false },
        {
          over: { 'link.groupSize': 4, 'link.numNegatives': 3, 'sampling.fanouts': '12,2' },
          fused: true,
        },
        {
          over: {
            'sampling.strategy': 'temporal',
            'link.groupSize': 3,
            'sampling.fanouts': '4,3,2',
            'model.layers': 3,
          },
          fused: false,
        },
        { over: { 'eval.fullNeighbors': true }, fused: true, evaluate: true },
        // Per-relation fanouts: the owners send each window's edge types; newest first, and uniform.
        {
          over: {
            'sampling.strategy': 'temporal',
            'sampling.fanouts': '2,1',
            'sampling.relationFanouts': 'has_skill=3,1;member__applied__job=2,2;rev_applied=4,0',
          },
          fused: true,
        },
        {
          over: {
            'sampling.fanouts': '1,2',
            'sampling.relationFanouts': 'requires=2,1;rev_applied=3,2',
            'link.numNegatives': 2,
          },
          fused: false,
        },
        {
          over: {
            'sampling.relationFanouts': 'has_skill=5,2;rev_has_skill=1,1',
            'eval.fullNeighbors': true,
          },
          fused: true,
          evaluate: true,
        },
        // Per-type input projections: each input row's type (nt) from the global id ranges.
        { over: { 'model.inputProjection': 'per-type', 'link.numNegatives': 2 }, fused: false },
        {
          over: { 'model.inputProjection': 'per-type', 'eval.fullNeighbors': true },
          fused: false,
          evaluate: true,
        },
        // Featureless types reading ID rows: each input row's global id (nid) too.
        {
          over: { 'model.inputProjection': 'per-type', 'model.featurelessInput': 'id' },
          fused: false,
        },
      ];
      for (const c of cases) {
        const spec = specOf({ ...c.over, 'sampling.fuseFirstLayer': c.fused });
        const want = seedsOf(spec, whole);
        const groups = linkGroupsOf(spec, want.source, want.train);
        const source = groupedSource(want.source, groups);
        const split = partitionedSplit(owners, spec);
        const pGroups = linkGroupsOf(spec, split.source, split.train);
        const pSource = groupedSource(split.source, pGroups);
        const which = c.evaluate ? 'eval' : 'train';
        const cfg = producerConfigs(spec, want.negativeRange)[which];
        const pCfg = producerConfigs(spec, split.negativeRange)[which];
        if (c.evaluate) expect(cfg.sampler.fanouts).toEqual([-1, -1]);
        expect(cfg.sampler.strategy).toBe('temporal');
        const producer = new BatchProducer(whole, cfg);
        const builders = owners.map((o) => new PartitionBatchBuilder(o, peers, pCfg));
        for (const epoch of [0, 1]) {
          const plan = epochPlanOf(spec, want.train, groups, epoch);
          const pPlan = epochPlanOf(spec, split.train, pGroups, epoch);
          expect(sameBytes(pPlan.order, plan.order)).toBe(true);
          for (let b = 0; b < Math.min(3, plan.numBatches); b++) {
            const s = batchSeed(spec.train.seed, epoch, b);
            const req = requestFor(source, plan.order, epoch, b, plan.batchSize, s);
            const pReq = requestFor(pSource, pPlan.order, epoch, b, pPlan.batchSize, s);
            const a = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
            const got = await builders[(b + epoch) % parts].produce(pReq);
            expectSameBatch(a, got, `${JSON.stringify(c)} epoch ${epoch} batch ${b}`);
            expect((got.neg as Int32Array).length).toBe(
              (got.src as Int32Array).length * cfg.numNegatives,
            );
            if (spec.model.inputProjection === 'per-type') {
              // Every type is present, and row i's type is that of its global id.
              const nt = got.nt as Uint8Array;
              expect(nt.length).toBe(got.dims[1]);
              expect(new Set(nt).size).toBe(whole.nodeTypes.length);
              const seeds = got.seeds;
              for (let i = 0; i < seeds.length; i++) expect(nt[i]).toBe(whole.nodeTypeOf(seeds[i]));
            }
            if (spec.model.featurelessInput === 'id') {
              const nid = got.nid as Int32Array;
              expect(nid.length).toBe(got.dims[1]);
              expect(Array.from(nid.subarray(0, got.seeds.length))).toEqual(Array.from(got.seeds));
            }
          }
        }
      }
      for (const n of calls) expect(n).toBeGreaterThan(0);
    }, 30_000);
  }

  for (const parts of [2, 3])
    it(`${parts} parts: structural features from every part's counts, batches byte-identical`, async () => {
      const dir = join(tmp, `market-structural-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      const spec = specOf({ 'model.structuralFeatures': true, 'sampling.fuseFirstLayer': false });
      const wholeJob = jobGraph(whole, spec);
      expect(wholeJob.dim).toBe(whole.dim + 2);
      const split = partitionedSplit(owners, spec);
      const want = seedsOf(spec, wholeJob);
      const cutoff = cutoffOfSplit(split.train.length, split.source.times!);
      expect(cutoff).toBe(trainingCutoff(whole, spec));
      expect(Number.isFinite(cutoff)).toBe(true);
      // Each part's exchange, its peers answering from their own structural state.
      const asked = owners.map(() => 0);
      const structurals: PartitionStructural[] = owners.map(
        (o) =>
          new PartitionStructural(o.part, cutoff, {
            inDegrees: async (p, t) => {
              asked[p]++;
              return inDegreeCounts(owners[p].part, t, o.index);
            },
            maxDegrees: (p) => structurals[p].maxDegrees(),
          }),
      );
      const withCols = await Promise.all(structurals.map((st) => st.withColumns()));
      for (const n of asked) expect(n).toBe(parts - 1);
      const parted = withCols.map((part) => new PartitionOwner(part));
      // Every owned row equals the whole graph's row, structural columns included.
      for (const o of parted) {
        const ids = o.part.partition!.globalIds;
        const got = new Float32Array(ids.length * wholeJob.dim);
        const wantRows = new Float32Array(ids.length * wholeJob.dim);
        o.part.gather(
          Int32Array.from(o.part.partition!.globalIds, (_, l) => l),
          ids.length,
          got,
        );
        wholeJob.gather(Int32Array.from(ids), ids.length, wantRows);
        expect(sameBytes(got, wantRows)).toBe(true);
      }
      const peers = peersOf(
        parted,
        parted.map(() => 0),
      );
      const cfg = producerConfigs(spec, want.negativeRange).train;
      const producer = new BatchProducer(wholeJob, cfg);
      const builders = parted.map((o) => new PartitionBatchBuilder(o, peers, cfg));
      const plan = epochPlanOf(spec, want.train, undefined, 0);
      for (let b = 0; b < 3; b++) {
        const req = requestFor(want.source, plan.order, 0, b, plan.batchSize, batchSeed(4, 0, b));
        const a = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
        expectSameBatch(a, await builders[b % parts].produce(req), `structural batch ${b}`);
      }
    }, 30_000);

  it('names link.edgeType for a relation the graph lacks, or one without timestamps', async () => {
    const dir = join(tmp, 'market-p2-errors');
    await partitionGraph(g, 2, dir);
    const owners = await openParts(dir, 2);
    const types = owners[0].part.edgeTypes;
    expect(() => chooseLinkRelation(types, 'member__likes__job')).toThrow(ConfigError);
    expect(() => chooseLinkRelation(types, 'member__likes__job')).toThrow(/no edge type/);
    expect(() => chooseLinkRelation(types, 'member__has_skill__skill')).toThrow(/no timestamps/);
    expect(() => owners[0].linkEdges('member__likes__job')).toThrow(/no edge type/);
    // The marketplace has no edge weights: a weighted builder over its part says so.
    const weighted: ProducerConfig = {
      sampler: { strategy: 'weighted', fanouts: [3], seed: 0 },
      fuseFirstLayer: false,
      numNegatives: 0,
    };
    expect(() => new PartitionBatchBuilder(owners[0], peersOf(owners, [0, 0]), weighted)).toThrow(
      /needs edge weights/,
    );
  });
});

/** A directed graph with heavy-tailed out-degrees (rows past the weighted picker's walk limit) and weights. */
function writeWeightedGraph(dir: string, nodes: number, dim: number, seed: number) {
  const rng = new Xoshiro128(seed);
  const lines: string[] = [];
  for (let v = 0; v < nodes; v++) {
    // Most rows short, a few hubs of several hundred edges.
    const deg = v % 97 === 0 ? 300 + rng.below(400) : 1 + rng.below(12);
    const seen = new Set<number>();
    for (let j = 0; j < deg; j++) {
      const u = rng.below(nodes);
      if (seen.has(u)) continue;
      seen.add(u);
      // Weights spanning three orders of magnitude, a few tiny ones.
      const w = j % 50 === 7 ? 0.001 + rng.nextOpen01() * 0.01 : 0.05 + rng.nextOpen01() * 20;
      lines.push(`${v}\t${u}\t${w.toPrecision(7)}`);
    }
  }
  const edges = join(dir, 'edges.tsv');
  writeFileSync(edges, `${lines.join('\n')}\n`);
  const rows: string[] = [];
  for (let v = 0; v < nodes; v++)
    rows.push(Array.from({ length: dim }, () => (rng.nextOpen01() * 2 - 1).toFixed(5)).join(','));
  const features = join(dir, 'features.csv');
  writeFileSync(features, `${rows.join('\n')}\n`);
  return { edges, features };
}

describe('partitioned weighted node batches', () => {
  const src = join(tmp, 'weighted-src');
  const g = join(tmp, 'weighted');
  let whole: SharedGraph;
  beforeAll(async () => {
    rmSync(src, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(src, { recursive: true });
    const f = writeWeightedGraph(src, 1500, 8, 11);
    await buildGraph({
      edges: f.edges,
      features: f.features,
      weightCol: 2,
      numNodes: 1500,
      out: g,
    });
    whole = await openGraph(g);
    expect(whole.csr.weights).toBeDefined();
  });

  const config = (fanouts: number[], fused: boolean, seed: number): ProducerConfig => ({
    sampler: { strategy: 'weighted', fanouts, seed },
    fuseFirstLayer: fused,
    numNegatives: 0,
  });

  for (const parts of [2, 3]) {
    it(`${parts} parts: weighted draws (walk, index-and-reject, keyed scan) byte-identical`, async () => {
      const dir = join(tmp, `weighted-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      const calls = owners.map(() => 0);
      const peers = peersOf(owners, calls);
      const rng = new Xoshiro128(5);
      for (const c of [
        { fanouts: [5, 3], fused: true },
        { fanouts: [40, 2], fused: false },
        { fanouts: [-1, 4], fused: true },
        { fanouts: [3, 3, 2], fused: false },
      ]) {
        for (const seed of [0, 9]) {
          const cfg = config(c.fanouts, c.fused, seed);
          const producer = new BatchProducer(whole, cfg);
          const builders = owners.map((o) => new PartitionBatchBuilder(o, peers, cfg));
          for (let b = 0; b < 5; b++) {
            const chosen = new Set<number>();
            // Every batch holds hubs, so the long-row methods run.
            for (let h = 0; h < 3; h++) chosen.add(97 * rng.below(15));
            while (chosen.size < 40) chosen.add(rng.below(whole.numNodes));
            const seeds = Int32Array.from(chosen);
            const req = {
              kind: 'node' as const,
              epoch: 0,
              batch: b,
              batchSeed: rng.nextU32(),
              seeds,
            };
            const want = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
            const got = await builders[b % parts].produce(req);
            expectSameBatch(want, got, `${JSON.stringify(c)} seed ${seed} batch ${b}`);
            if (!c.fused) expect(got.w0).toBeInstanceOf(Float32Array);
          }
        }
      }
      for (const n of calls) expect(n).toBeGreaterThan(0);
    }, 30_000);
  }

  it("the owners' bucketed local-row index agrees with the part's own lookup for every id", async () => {
    for (const parts of [2, 3, 7]) {
      const dir = join(tmp, `weighted-index-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      for (const o of owners) {
        const view = o.part.partition!;
        let owned = 0;
        for (let id = -2; id < whole.numNodes + 70; id++) {
          const want = id >= 0 ? view.localOf(id) : -1;
          if (o.localRow(id) !== want)
            expect(o.localRow(id), `part ${o.index} id ${id}`).toBe(want);
          if (want >= 0) owned++;
        }
        expect(owned).toBe(o.part.numNodes);
      }
    }
  });

  it('rejects PPR naming sampling.strategy, and a graph without weights', async () => {
    const dir = join(tmp, 'weighted-p2-errors');
    await partitionGraph(g, 2, dir);
    const owners = await openParts(dir, 2);
    const peers = peersOf(owners, [0, 0]);
    const ppr: ProducerConfig = {
      sampler: { strategy: 'ppr', fanouts: [4], seed: 0 },
      fuseFirstLayer: false,
      numNegatives: 0,
    };
    expect(() => new PartitionBatchBuilder(owners[0], peers, ppr)).toThrow(
      /sampling\.strategy|ppr/,
    );
    expect(() =>
      applyOverrides(defaultJobSpec(), {
        graph: g,
        'sampling.strategy': 'ppr',
        'cluster.samplers': 2,
        'cluster.partitions': 'auto',
      }),
    ).toThrow(/cluster\.partitions/);
    // Weighted and link specs are accepted with partitions.
    expect(() =>
      applyOverrides(defaultJobSpec(), {
        graph: g,
        'sampling.strategy': 'weighted',
        'cluster.partitions': 'auto',
      }),
    ).not.toThrow();
    expect(() =>
      applyOverrides(defaultJobSpec(), { graph: g, task: 'link', 'cluster.partitions': 'auto' }),
    ).not.toThrow();
  });
});
