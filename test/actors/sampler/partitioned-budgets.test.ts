// Per-node fanout budgets with partition-owning samplers: owners' scores equal the whole graph's, and
// node (uniform, weighted) and temporal link batches equal BatchProducer's byte for byte with 2 and 3 parts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import {
  PartitionBatchBuilder,
  type PartitionPeers,
} from '../../../actors/sampler/partition-sampler-builder.js';
import { PartitionOwner } from '../../../actors/sampler/partition-sampler-owner.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer, type ProducerConfig } from '../../../actors/batch/batch-producer.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { partitionGraph } from '../../../graph-store/partition.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { edgeTypeKey } from '../../../graph-store/types.js';
import {
  budgetScores,
  meanOfSizeSums,
  nodeSizes,
  sizeSum,
  type FanoutBudgetOptions,
} from '../../../kernels/sampling/fanout-budget.js';
import { Xoshiro128 } from '../../../runtime/prng.js';
import { ConfigError } from '../../../runtime/errors.js';
import { openParts, expectSameBatch } from '../../helpers/partitions.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-partitioned-budgets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** In-process owners as a builder's peers; counts the `rows` asks that carried budget fields. */
interface Asks {
  scores: number;
  sums: number;
  /** The mean sizes the builders sent with their score asks. */
  means: Set<number>;
}

function peersOf(owners: PartitionOwner[], asks: Asks): PartitionPeers {
  return {
    rows: async (p, req) => {
      if (req.budget) {
        asks.scores++;
        asks.means.add(req.budget.mean);
      }
      if (req.sizeSumOf) asks.sums++;
      return owners[p].rows(req);
    },
    expand: async (p, req) => owners[p].expand(req),
  };
}

/** Longest row of the first hop (the last layer's block): above the fanout only with budgets. */
function longestFirstHopRow(b: BatchFields, layers: number): number {
  const ptr = b[`ptr${layers - 1}`] as Int32Array;
  let most = 0;
  for (let i = 0; i + 1 < ptr.length; i++) most = Math.max(most, ptr[i + 1] - ptr[i]);
  return most;
}

/** Weighted edges: short rows, hubs, rows without edges, weights over three orders of magnitude. */
function writeWeightedGraph(dir: string, nodes: number, dim: number, seed: number) {
  const rng = new Xoshiro128(seed);
  const lines: string[] = [];
  for (let v = 0; v < nodes; v++) {
    const deg = v % 13 === 5 ? 0 : v % 89 === 0 ? 200 + rng.below(300) : 1 + rng.below(14);
    const seen = new Set<number>();
    for (let j = 0; j < deg; j++) {
      const u = rng.below(nodes);
      if (seen.has(u)) continue;
      seen.add(u);
      // A few rows hold nearly all their weight on one edge (effective neighbours near 1).
      const w = v % 7 === 3 && j === 0 ? 500 : 0.01 + rng.nextOpen01() * 20;
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

describe('partitioned node batches with per-node budgets', () => {
  const src = join(tmp, 'weighted-src');
  const g = join(tmp, 'weighted');
  const numNodes = 1400;
  let whole: SharedGraph;
  beforeAll(async () => {
    mkdirSync(src, { recursive: true });
    const f = writeWeightedGraph(src, numNodes, 6, 21);
    await buildGraph({ edges: f.edges, features: f.features, weightCol: 2, numNodes, out: g });
    whole = await openGraph(g);
  });

  it("every owner's scores equal the whole graph's, with the whole graph's mean (2, 3, 5 parts)", async () => {
    for (const parts of [2, 3, 5]) {
      const dir = join(tmp, `scores-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      for (const mode of ['degree', 'weight'] as const) {
        for (const alpha of [0.5, 1, 0.3]) {
          const want = budgetScores(whole.csr, mode, alpha);
          // The parts' sums in any order give one mean.
          const sums = owners.map((o) => o.budgetSizeSum(mode));
          const mean = meanOfSizeSums(sums);
          expect(meanOfSizeSums([...sums].reverse())).toBe(mean);
          let zeros = 0;
          for (const o of owners) {
            const got = o.budgetScores(mode, alpha, mean);
            const ids = o.part.partition!.globalIds;
            for (let l = 0; l < ids.length; l++) {
              if (got[l] !== want[ids[l]])
                expect(got[l], `${mode} ${alpha} part ${o.index} node ${ids[l]}`).toBe(
                  want[ids[l]],
                );
              if (got[l] === 0) zeros++;
            }
          }
          expect(zeros).toBeGreaterThan(50);
        }
      }
    }
  });

  const config = (
    strategy: 'uniform' | 'weighted',
    fanouts: number[],
    fused: boolean,
    budget: FanoutBudgetOptions,
  ): ProducerConfig => ({
    sampler: { strategy, fanouts, seed: 7, budget },
    fuseFirstLayer: fused,
    numNegatives: 0,
  });

  for (const parts of [2, 3]) {
    it(`${parts} parts: degree and weight budgets, uniform and weighted draws, byte-identical`, async () => {
      const dir = join(tmp, `budgets-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      const asks: Asks = { scores: 0, sums: 0, means: new Set() };
      const peers = peersOf(owners, asks);
      const rng = new Xoshiro128(parts);
      let widened = 0;
      const cases: { strategy: 'uniform' | 'weighted'; fanouts: number[]; fused: boolean }[] = [
        { strategy: 'uniform', fanouts: [5, 3], fused: true },
        { strategy: 'weighted', fanouts: [6, 2], fused: false },
        { strategy: 'weighted', fanouts: [-1, 4], fused: true },
        { strategy: 'uniform', fanouts: [3, 3, 2], fused: false },
      ];
      const budgets: FanoutBudgetOptions[] = [
        { mode: 'degree' },
        { mode: 'weight' },
        { mode: 'degree', alpha: 1, min: 2, maxScale: 2.5 },
        { mode: 'weight', alpha: 0.8, min: 3, maxScale: 6 },
      ];
      for (const c of cases) {
        for (const budget of budgets) {
          const cfg = config(c.strategy, c.fanouts, c.fused, budget);
          asks.means.clear();
          const producer = new BatchProducer(whole, cfg);
          const builders = owners.map((o) => new PartitionBatchBuilder(o, peers, cfg));
          for (let b = 0; b < 3; b++) {
            const chosen = new Set<number>();
            // Hubs in every batch, so budgets above the fanout and weighted long-row draws run.
            for (let h = 0; h < 3; h++) chosen.add(89 * rng.below(15));
            while (chosen.size < 40) chosen.add(rng.below(numNodes));
            const req = {
              kind: 'node' as const,
              epoch: 0,
              batch: b,
              batchSeed: rng.nextU32(),
              seeds: Int32Array.from(chosen),
            };
            const want = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
            const got = await builders[b % parts].produce(req);
            const what = `${JSON.stringify(c)} ${JSON.stringify(budget)} batch ${b}`;
            expectSameBatch(want, got, what);
            if (c.fanouts[0] > 0 && longestFirstHopRow(got, c.fanouts.length) > c.fanouts[0])
              widened++;
          }
          // The builders' mean is the whole graph's, to the last bit.
          const mean = meanOfSizeSums([sizeSum(nodeSizes(whole.csr, budget.mode as 'degree'))]);
          expect([...asks.means]).toEqual([mean]);
        }
      }
      // Budgets took effect (hub rows drew more than the fanout), and scores crossed parts.
      expect(widened).toBeGreaterThan(10);
      expect(asks.scores).toBeGreaterThan(0);
      // The mean is asked once per builder of each budget setting: one ask per other part.
      expect(asks.sums).toBe(cases.length * budgets.length * parts * (parts - 1));
    }, 30_000);
  }

  it('job specs take budgets with cluster.partitions; ppr still rejects them', () => {
    const over = { graph: g, 'cluster.samplers': 2, 'cluster.partitions': 'auto' };
    const spec = applyOverrides(defaultJobSpec(), { ...over, 'sampling.budget.mode': 'weight' });
    expect(producerConfigs(spec).train.sampler.budget?.mode).toBe('weight');
    let err: unknown;
    try {
      applyOverrides(defaultJobSpec(), {
        graph: g,
        'sampling.strategy': 'ppr',
        'sampling.budget.mode': 'degree',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('sampling.budget.mode');
  });
});

describe('partitioned temporal link batches with per-node budgets', () => {
  const g = join(tmp, 'market');
  let whole: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 400, applicationsPerMember: 6, featureDim: 8, seed: 5 }, g);
    whole = await openGraph(g);
  });

  const specOf = (over: Record<string, unknown>): JobSpec =>
    applyOverrides(defaultJobSpec(), {
      graph: g,
      task: 'link',
      'sampling.fanouts': '4,3',
      'sampling.batchSize': 40,
      'train.seed': 6,
      'link.numNegatives': 2,
      ...over,
    });

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

  for (const parts of [2, 3]) {
    it(`${parts} parts: degree budgets over time windows, byte-identical`, async () => {
      const dir = join(tmp, `market-p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners = await openParts(dir, parts);
      const asks: Asks = { scores: 0, sums: 0, means: new Set() };
      const peers = peersOf(owners, asks);
      for (const over of [
        { 'sampling.budget.mode': 'degree', 'sampling.fuseFirstLayer': true },
        {
          'sampling.budget.mode': 'degree',
          'sampling.budget.alpha': 1,
          'sampling.budget.min': 2,
          'sampling.budget.maxScale': 3,
          'sampling.fanouts': '6,2',
          'sampling.fuseFirstLayer': false,
        },
      ]) {
        const spec = specOf(over);
        const want = seedsOf(spec, whole);
        const split = partitionedSplit(owners, spec);
        if (want.source.kind !== 'link' || split.source.kind !== 'link')
          throw new Error('expected link seeds');
        const cfg = producerConfigs(spec, want.negativeRange).train;
        const pCfg = producerConfigs(spec, split.negativeRange).train;
        expect(cfg.sampler.budget?.mode).toBe('degree');
        expect(cfg.sampler.strategy).toBe('temporal');
        const producer = new BatchProducer(whole, cfg);
        const builders = owners.map((o) => new PartitionBatchBuilder(o, peers, pCfg));
        const rng = new Xoshiro128(parts + 10);
        for (let b = 0; b < 4; b++) {
          const order = Int32Array.from(want.train);
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.below(i + 1);
            [order[i], order[j]] = [order[j], order[i]];
          }
          const s = batchSeed(spec.train.seed, 0, b);
          const req = requestFor(want.source, order, 0, b, spec.sampling.batchSize, s);
          const pReq = requestFor(split.source, order, 0, b, spec.sampling.batchSize, s);
          const a = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
          const got = await builders[b % parts].produce(pReq);
          expectSameBatch(a, got, `${JSON.stringify(over)} batch ${b}`);
        }
      }
      expect(asks.scores).toBeGreaterThan(0);
      // Weight budgets need edge weights: the whole-graph sampler and the builder both refuse.
      const noWeights = producerConfigs(specOf({ 'sampling.budget.mode': 'weight' })).train;
      expect(() => new BatchProducer(whole, noWeights)).toThrow(/edge weights/);
      let err: unknown;
      try {
        new PartitionBatchBuilder(owners[0], peers, noWeights);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('sampling.budget.mode');
    }, 30_000);
  }
});
