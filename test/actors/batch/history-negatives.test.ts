// History negatives (link.historyNegatives) through the batch pipeline: the first share of each
// pair's negatives are distinct earlier partners of its source before its time (checked against a
// scan of the CSR row), of the destination type and never the pair's destination; the rest drawn
// as before; the same batch seed draws the same negatives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyOverrides,
  defaultJobSpec,
  parseJobSpec,
  type JobSpec,
} from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-history-negatives-'));
const dir = join(tmp, 'market');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const K = 4;

function specOf(overrides: Record<string, unknown> = {}): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph: dir,
    task: 'link',
    'link.edgeType': 'member__applied__job',
    'link.numNegatives': K,
    'sampling.fanouts': '5,3',
    'sampling.batchSize': 64,
    ...overrides,
  });
}

describe('history negatives in link training batches (link.historyNegatives)', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 600, applicationsPerMember: 12, seed: 5 }, dir);
    graph = await openGraph(dir);
  });

  function batchOf(spec: JobSpec, batch: number) {
    const seeds = seedsOf(spec, graph);
    const producer = new BatchProducer(graph, producerConfigs(spec, seeds.negativeRange).train);
    const plan = makeEpochPlan(seeds.train, 64, 0, 0);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const req = requestFor(source!, plan.order, 0, batch, 64, 1);
    const f = producer.produce(req, (s) => allocateArrays<BatchFields>(s));
    return { f, req, range: seeds.negativeRange! };
  }

  it("draws the first share from the source's earlier partners of the destination type", () => {
    const spec = specOf({ 'link.historyNegatives': 0.5 });
    const { f, req, range } = batchOf(spec, 2);
    const [lo, hi] = range;
    const src = f.src as Int32Array;
    const dst = f.dst as Int32Array;
    const neg = f.neg as Int32Array;
    expect(neg.length).toBe(src.length * K);
    const { indptr, indices, timestamps } = graph.csr;
    let fromHistory = 0;
    let fewer = 0;
    for (let i = 0; i < src.length; i++) {
      const s = f.seeds[src[i]];
      const d = f.seeds[dst[i]];
      const t = req.times![i];
      // Reference: every job the member applied to (or otherwise met) strictly before t, not d.
      const earlier = new Set<number>();
      for (let e = Number(indptr[s]); e < Number(indptr[s + 1]); e++) {
        const v = indices[e];
        if (timestamps![e] < t && v >= lo && v < hi && v !== d) earlier.add(v);
      }
      const mine = Array.from(neg.subarray(i * K, (i + 1) * K), (r) => f.seeds[r]);
      const want = Math.min(2, earlier.size);
      const head = mine.slice(0, want);
      for (const v of head) expect(earlier.has(v)).toBe(true);
      expect(new Set(head).size).toBe(want);
      for (const v of mine) {
        expect(v).toBeGreaterThanOrEqual(lo);
        expect(v).toBeLessThan(hi);
        expect(v).not.toBe(d);
      }
      fromHistory += want;
      if (want < 2) fewer++;
    }
    // Most members have earlier applications; the first pairs of a member's history have fewer.
    expect(fromHistory).toBeGreaterThan(src.length);
    expect(fewer).toBeLessThan(src.length);
    // The same batch seed draws the same negatives.
    expect(Array.from(batchOf(spec, 2).f.neg as Int32Array)).toEqual(Array.from(neg));
  });

  it('without the share, no negative is an earlier partner more often than chance', () => {
    const { f, req, range } = batchOf(specOf(), 2);
    const [lo, hi] = range;
    const { indptr, indices, timestamps } = graph.csr;
    const src = f.src as Int32Array;
    const neg = f.neg as Int32Array;
    let partners = 0;
    for (let i = 0; i < src.length; i++) {
      const s = f.seeds[src[i]];
      const earlier = new Set<number>();
      for (let e = Number(indptr[s]); e < Number(indptr[s + 1]); e++)
        if (timestamps![e] < req.times![i] && indices[e] >= lo && indices[e] < hi)
          earlier.add(indices[e]);
      for (let j = 0; j < K; j++) if (earlier.has(f.seeds[neg[i * K + j]])) partners++;
    }
    // Uniform among the jobs: a member's handful of earlier jobs are rarely drawn.
    expect(partners).toBeLessThan((src.length * K) / 10);
  });

  it('refuses a share with negatives the sampler does not draw, or one that rounds to none', () => {
    const yaml = (extra: string) =>
      `task: link\nlink:\n  historyNegatives: 0.5\n  numNegatives: 2\n${extra}`;
    const err = (text: string) => {
      try {
        parseJobSpec(text, 'job.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    };
    const inBatch = err(yaml('  negatives: in-batch\n'));
    expect(inBatch).toBeInstanceOf(ConfigError);
    expect(inBatch.message).toContain('link.historyNegatives');
    expect(inBatch.message).toContain('link.negatives is in-batch');
    const none = err(`task: link\nlink:\n  historyNegatives: 0.1\n  numNegatives: 2\n`);
    expect(none.message).toContain('rounds to no history negative');
    expect(parseJobSpec(yaml('  negatives: degree\n')).link.historyNegatives).toBe(0.5);
    expect(defaultJobSpec().link.historyNegatives).toBe(0);
  });
});
