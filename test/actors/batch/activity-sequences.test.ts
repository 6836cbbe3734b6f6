// The temporal model's inputs through the batch pipeline: each pair's source's last N activities
// strictly before its time (checked against a scan of the CSR row), long-term targets inside their
// windows and before the held-out period, and a model step and scoring on the record as it comes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { BatchProducer } from '../../../actors/batch/batch-producer.js';
import { viewBatch } from '../../../actors/batch/batch-view.js';
import { logGapBefore, NO_EDGE_BEFORE } from '../../../actors/batch/target-recency.js';
import { producerConfigs, seedsOf } from '../../../actors/plan/task-seeds.js';
import { requestFor } from '../../../actors/plan/seed-source.js';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import { buildModel, relationsOf } from '../../../actors/trainer/trainer-core.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-activities-'));
const dir = join(tmp, 'market');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const N = 6;

function specOf(overrides: Record<string, unknown> = {}): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph: dir,
    task: 'link',
    'link.edgeType': 'member__applied__job',
    'model.hidden': 8,
    'sampling.fanouts': '5,3',
    'sampling.batchSize': 48,
    'model.temporal.enabled': true,
    'model.temporal.sequenceLength': N,
    'model.temporal.heads': 2,
    'model.temporal.embeddings': 3,
    'model.temporal.longTerm.enabled': true,
    'model.temporal.longTerm.windows': '604800,2592000',
    'model.temporal.longTerm.weights': '0.5,0.25',
    'model.temporal.longTerm.targets': 3,
    ...overrides,
  });
}

describe('activity sequences in link batch records (model.temporal)', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await synthMarketplace({ members: 600, applicationsPerMember: 12, seed: 5 }, dir);
    graph = await openGraph(dir);
    await initBackend('wasm');
  });

  function firstBatch(spec: JobSpec, batch = 0): { f: BatchFields; heldOutFrom: number } {
    const seeds = seedsOf(spec, graph);
    const producer = new BatchProducer(graph, producerConfigs(spec, seeds.negativeRange).train);
    const plan = makeEpochPlan(seeds.train, 48, 0, 0);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const req = requestFor(source!, plan.order, 0, batch, 48, 1);
    return {
      f: producer.produce(req, (s) => allocateArrays<BatchFields>(s)),
      heldOutFrom: source!.heldOutFrom!,
    };
  }

  it('holds the newest N activities strictly before each pair time, oldest first, padded after', () => {
    const spec = specOf();
    const seeds = seedsOf(spec, graph);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const plan = makeEpochPlan(seeds.train, 48, 0, 0);
    const req = requestFor(source!, plan.order, 0, 0, 48, 1);
    const { f } = firstBatch(spec);
    const { indptr, indices, timestamps, edgeType } = graph.csr;
    const d = graph.dim;
    const row = new Float32Array(d);
    let full = 0;
    for (let i = 0; i < req.src!.length; i++) {
      const t = req.times![i];
      const before: number[] = [];
      for (let e = Number(indptr[req.src![i]]); e < Number(indptr[req.src![i] + 1]); e++)
        if (timestamps![e] < t) before.push(e);
      const kept = before.slice(-N);
      expect(f.actCount[i]).toBe(kept.length);
      if (kept.length === N) full++;
      kept.forEach((e, k) => {
        expect(f.actRel[i * N + k]).toBe(edgeType ? edgeType[e] : 0);
        expect(f.actIds[i * N + k]).toBe(indices[e]);
        expect(f.actGap[i * N + k]).toBeCloseTo(Math.log1p(t - timestamps![e]), 4);
        graph.gather([indices[e]], 1, row);
        expect(
          Array.from((f.actX as Float32Array).subarray((i * N + k) * d, (i * N + k + 1) * d)),
        ).toEqual(Array.from(row));
      });
      for (let k = kept.length; k < N; k++) {
        expect(f.actGap[i * N + k]).toBe(0);
        expect(f.actIds[i * N + k]).toBe(-1);
      }
    }
    expect(full).toBeGreaterThan(0);
  });

  it('keeps long-term targets inside (t, t + window] and before the held-out period', () => {
    const spec = specOf();
    const seeds = seedsOf(spec, graph);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const plan = makeEpochPlan(seeds.train, 48, 0, 0);
    const { timestamps, indptr, indices } = graph.csr;
    let targets = 0;
    for (let b = 0; b < 4; b++) {
      const req = requestFor(source!, plan.order, 0, b, 48, 1);
      const { f, heldOutFrom } = firstBatch(spec, b);
      expect(Number.isFinite(heldOutFrom)).toBe(true);
      const windows = [604_800, 2_592_000];
      for (let i = 0; i < req.src!.length; i++)
        windows.forEach((w, k) => {
          const inWindow: number[] = [];
          for (let e = Number(indptr[req.src![i]]); e < Number(indptr[req.src![i] + 1]); e++) {
            const ts = timestamps![e];
            if (ts > req.times![i] && ts <= req.times![i] + w && ts < heldOutFrom)
              inWindow.push(indices[e]);
          }
          const count = (f.futCount as Int32Array)[i * 2 + k];
          expect(count).toBe(Math.min(3, inWindow.length));
          targets += count;
          for (let c = 0; c < count; c++)
            expect(inWindow).toContain((f.futIds as Int32Array)[(i * 2 + k) * 3 + c]);
        });
    }
    expect(targets).toBeGreaterThan(0);
  });

  it('trains and scores on the record: finite loss, every temporal parameter moved by it', () => {
    const spec = specOf();
    const { f } = firstBatch(spec);
    const view = viewBatch(f);
    expect(view.link!.temporal!.future!.windows).toBe(2);
    const model = buildModel(spec, graph.dim, 1, relationsOf(graph));
    const params = model.init(1);
    // The gates start closed (what they gate then gets no gradient): open them.
    params.set('temporal.pointer.gate', Float32Array.from([0.5]));
    params.set('temporal.heads.gate', Float32Array.from([0.5]));
    model.setParams(params);
    const r = model.forwardBackward(view.model, view.link!, { dropoutSeed: 3 });
    expect(Number.isFinite(r.loss)).toBe(true);
    for (const s of model.paramSpecs().filter((p) => p.name.startsWith('temporal.')))
      expect(
        r.grads.get(s.name)!.some((v) => v !== 0),
        s.name,
      ).toBe(true);
    const link = view.link!;
    const seq = Int32Array.from(link.src, (_, i) => i);
    const withSeq = model.scoreLinks(view.model, link.src, link.dst, undefined, {
      temporal: { inputs: link.temporal!, pairSrc: link.src, seq },
    });
    const plain = model.scoreLinks(view.model, link.src, link.dst);
    expect(withSeq.every(Number.isFinite)).toBe(true);
    expect(Array.from(withSeq)).not.toEqual(Array.from(plain));
  });

  it("target recency: each target's log gap since its newest edge before its pair's time", () => {
    const spec = specOf({ 'model.temporal.targetRecency': true });
    const seeds = seedsOf(spec, graph);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const req = requestFor(source!, makeEpochPlan(seeds.train, 48, 0, 0).order, 0, 0, 48, 1);
    const { f } = firstBatch(spec);
    const [dst, neg, gaps] = [f.dst as Int32Array, f.neg as Int32Array, f.tgtGap as Float32Array];
    const pairs = dst.length;
    const k = neg.length / pairs;
    expect(gaps.length).toBe(pairs * (1 + k));
    const { indptr, timestamps } = graph.csr;
    // A scan of the target's row: the newest edge strictly before t, or -1 without one.
    const scan = (node: number, t: number) => {
      let newest = -Infinity;
      for (let e = Number(indptr[node]); e < Number(indptr[node + 1]); e++)
        if (timestamps![e] < t) newest = Math.max(newest, timestamps![e]);
      return newest === -Infinity ? -1 : Math.log1p(t - newest);
    };
    const recent = Math.log1p(30 * 86_400);
    let fresh = 0;
    for (let i = 0; i < pairs; i++) {
      const t = req.times![i];
      expect(gaps[i]).toBeCloseTo(scan(f.seeds[dst[i]], t), 4);
      for (let j = 0; j < k; j++) {
        const want = scan(f.seeds[neg[i * k + j]], t);
        expect(gaps[pairs + i * k + j]).toBeCloseTo(want, 4);
        if (want < recent) fresh++;
      }
    }
    // Negatives applied to within a month and long before (a job's skills count at time 0): both.
    expect(fresh).toBeGreaterThan(0);
    expect(fresh).toBeLessThan(pairs * k);
    // Before every edge of its row (the untimed ones are at 0), a node has none.
    expect(logGapBefore(graph, f.seeds[dst[0]], 0)).toBe(NO_EDGE_BEFORE);
    expect(viewBatch(f).link!.targetGap).toBe(gaps);
  });

  it('pair window: the M most recent distinct partners before the pair time, newest interaction each', () => {
    const M = 4;
    const spec = specOf({ 'model.temporal.pairRecency': true, 'model.temporal.pairWindow': M });
    const seeds = seedsOf(spec, graph);
    const source = seeds.source.kind === 'link' ? seeds.source : undefined;
    const req = requestFor(source!, makeEpochPlan(seeds.train, 48, 0, 0).order, 0, 0, 48, 1);
    const { f } = firstBatch(spec);
    const [ids, gaps, count] = [
      f.pairIds as Int32Array,
      f.pairGap as Float32Array,
      f.pairCount as Int32Array,
    ];
    const src = f.src as Int32Array;
    expect(ids.length).toBe(src.length * M);
    const { indptr, indices, timestamps } = graph.csr;
    let beyondSequence = 0;
    for (let i = 0; i < src.length; i++) {
      const node = f.seeds[src[i]];
      const t = req.times![i];
      // Reference: every partner's newest interaction before t, newest partners first.
      const newest = new Map<number, number>();
      for (let e = Number(indptr[node]); e < Number(indptr[node + 1]); e++)
        if (timestamps![e] < t)
          newest.set(indices[e], Math.max(newest.get(indices[e]) ?? -Infinity, timestamps![e]));
      const all = [...newest].sort((a, b) => b[1] - a[1]);
      const want = all.slice(0, M);
      expect(count[i]).toBe(want.length);
      // Written oldest first: the newest partner is the last present entry.
      for (let k = 0; k < want.length; k++) {
        const slot = i * M + want.length - 1 - k;
        expect(gaps[slot]).toBeCloseTo(Math.log1p(t - want[k][1]), 4);
        // Partners with the same newest time may come in either order; their gaps are equal.
        if (all.filter((w) => w[1] === want[k][1]).length === 1) expect(ids[slot]).toBe(want[k][0]);
      }
      for (let k = want.length; k < M; k++) expect(ids[i * M + k]).toBe(-1);
      const seq = new Set(
        (f.actIds as Int32Array).subarray(i * N, i * N + (f.actCount as Int32Array)[i]),
      );
      beyondSequence += want.filter(([v]) => !seq.has(v)).length;
    }
    // Some partners lie outside the last N activities: the window reaches further back.
    expect(beyondSequence).toBeGreaterThan(0);
    expect(viewBatch(f).link!.temporal!.partners!.ids).toBe(ids);
    // Without a window the batch carries no partner lists.
    expect(firstBatch(specOf({ 'model.temporal.pairRecency': true })).f.pairIds).toBeUndefined();
  });

  it('eval batches carry sequences but no long-term targets; static jobs carry neither', () => {
    const spec = specOf();
    const seeds = seedsOf(spec, graph);
    const configs = producerConfigs(spec, seeds.negativeRange);
    expect(configs.eval.activities).toEqual({ sequenceLength: N });
    expect(configs.train.activities?.future?.windows).toEqual([604_800, 2_592_000]);
    const plain = producerConfigs(specOf({ 'model.temporal.enabled': false }), seeds.negativeRange);
    expect(plain.train.activities).toBeUndefined();
    expect(plain.eval.activities).toBeUndefined();
  });
});
