// Exact ranking of the temporal model: each pair's member side (H member embeddings and pointer
// attention at the pair's time) scored against candidates exactly as the sampled ranking scores a
// target, checked score by score on an evaluation batch (and the static model's with the
// target-recency term, its control); the whole evaluation through the trainer core, where an open
// pointer gate ranks a member's earlier partners first; weft train and weft eval.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import {
  decoderRows,
  EvaluatedPairs,
  pairTimesOf,
  rankedPairs,
  snapshotJob,
} from '../../../actors/trainer/exact-evaluation.js';
import { recencyTerms } from '../../../actors/trainer/exact-recency.js';
import { logGapBefore } from '../../../actors/batch/target-recency.js';
import { RECENCY_FEATURES, RECENCY_PARAM } from '../../../kernels/nn/target-recency.js';
import { PAIR_RANK_PARAM, PAIR_RECENCY_PARAM } from '../../../kernels/nn/pair-recency.js';
import { coreOverGraph, type TrainerCore } from '../../../actors/trainer/trainer-core.js';
import { sampledLinkScores } from '../../../actors/trainer/link-scores.js';
import type { SeedSource } from '../../../actors/plan/seed-source.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import { candidateScores } from '../../../kernels/metrics/candidate-ranking.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import type { ParamMap } from '../../../kernels/nn/params.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-exact-temporal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const USERS = 50;
const MESSAGES = 1500;

/** Messages at times 1..MESSAGES; a user mostly writes to one of three partners, else anyone. */
async function messageGraph(dir: string): Promise<void> {
  const rng = new Mulberry32(7);
  const lines: string[] = [];
  for (let t = 1; t <= MESSAGES; t++) {
    const u = Math.floor(rng.next() * USERS);
    const favourite = [1, 2, 7][Math.floor(rng.next() * 3)];
    const v = rng.next() < 0.8 ? (u + favourite) % USERS : Math.floor(rng.next() * USERS);
    if (v !== u) lines.push(`${u}\t${v}\t${t}`);
  }
  const edges = join(dir, 'edges.tsv');
  writeFileSync(edges, lines.join('\n'));
  const feats = join(dir, 'features.csv');
  const rows = Array.from({ length: USERS }, () =>
    Array.from({ length: 6 }, () => (rng.next() - 0.5).toFixed(4)).join(','),
  );
  writeFileSync(feats, rows.join('\n'));
  await buildGraph({ edges, tsCol: 2, features: feats, out: join(dir, 'graph') });
}

function specOf(overrides: Record<string, unknown>): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph: join(tmp, 'graph'),
    task: 'link',
    'model.hidden': 8,
    'sampling.strategy': 'temporal',
    'sampling.fanouts': '5,5',
    'link.valFraction': 0.15,
    'link.testFraction': 0.15,
    'eval.ranking': 'exact',
    'eval.workers': 2,
    'model.temporal.enabled': true,
    'model.temporal.sequenceLength': 8,
    'model.temporal.heads': 2,
    'model.temporal.embeddings': 3,
    ...overrides,
  });
}

/**
 * A core with initial parameters and the temporal model's gates open: the pointer's by `pointerGate`,
 * its attention uniform over the activities (a frequency count) unless `attend`.
 */
function coreWith(spec: JobSpec, graph: SharedGraph, pointerGate: number, attend = true) {
  const built = coreOverGraph(spec, graph);
  const p = built.core.model.init(3);
  const rng = new Mulberry32(11);
  p.set('temporal.heads.gate', Float32Array.of(0.7));
  p.set('temporal.pointer.gate', Float32Array.of(pointerGate));
  // With the recency terms: weights that make them matter (they start at 0).
  for (const name of [RECENCY_PARAM, PAIR_RECENCY_PARAM, PAIR_RANK_PARAM]) {
    const w = p.get(name);
    if (w) for (let i = 0; i < w.length; i++) w[i] = rng.next() - 0.5;
  }
  if (attend) {
    p.set('temporal.pointer.recency', Float32Array.of(0.3));
    const q = p.get('temporal.pointer.query')!;
    for (let i = 0; i < q.length; i++) q[i] = rng.next() - 0.5;
  }
  built.core.setParams(p);
  return { ...built, params: p };
}

/**
 * The exact path's score of every target of batch `v` against the sampled ranking's: their largest
 * relative difference, with the ranking job and, with `recency`, every candidate's target-recency
 * term at its row's pair time. `pairs` holds the batch's pairs as exact ranking reads them; the
 * candidates are the batch's graph embeddings (a target's row is its seed row's: its neighbourhood
 * at its pair's time), so each target is scored with the candidate rows holding its own row.
 */
function exactAgainstSampled(
  built: { core: TrainerCore; seeds: ReturnType<typeof coreOverGraph>['seeds']; params: ParamMap },
  graph: SharedGraph,
  v: ReturnType<TrainerCore['sampleInline']>,
  pairs: EvaluatedPairs,
  recency: boolean,
) {
  const { core, seeds, params } = built;
  const spec = core.spec;
  const link = v.link!;
  const k = link.numNegatives;
  const { pos, neg } = sampledLinkScores(core.model, v);
  const emb = core.model.embed(v.model);
  const d = spec.model.hidden;
  const source = seeds.source.kind === 'link' ? seeds.source : undefined;
  const ranked = rankedPairs({
    src: source!.src,
    dst: source!.dst,
    pairSrc: pairs.src,
    pairDst: pairs.dst,
    candidates: [0, USERS],
  });
  const input = { spec, pairs, params, candidates: [0, USERS] as [number, number] };
  const all = Int32Array.from(ranked.positive, (_, r) => r);
  const cand = new Float32Array(USERS * d);
  const times = pairTimesOf(source!, seeds.test, pairs)!;
  const gapOf = (node: number, t: number) => logGapBefore(graph, node, t);
  const terms = recency
    ? recencyTerms(
        gapOf,
        params.get(RECENCY_PARAM)!,
        [0, USERS],
        Float64Array.from(ranked.order, (i) => times[i]),
      )
    : undefined;
  const job = snapshotJob(input, ranked, all, decoderRows(spec, cand), terms);
  const exactOf = (row: number, target: number) => {
    const g = v.seeds[target];
    cand.set(emb.subarray(target * d, target * d + d), g * d);
    const candidateRows = decoderRows(spec, cand);
    return candidateScores({ ...job, candidateRows }, row, g, g + 1)[0];
  };
  let worst = 0;
  ranked.order.forEach((i, r) => {
    const targets = [link.dst[i], ...link.negDst!.subarray(i * k, (i + 1) * k)];
    const sampled = [pos[i], ...neg.subarray(i * k, (i + 1) * k)];
    targets.forEach((t, j) => {
      const diff = Math.abs(exactOf(r, t) - sampled[j]) / Math.max(1, Math.abs(sampled[j]));
      worst = Math.max(worst, diff);
    });
  });
  return { worst, job, terms };
}

/** Share of the pairs `edges` whose sender wrote to the same receiver earlier. */
function earlierPairs(source: SeedSource, edges: Int32Array): number {
  if (source.kind !== 'link' || !source.times) throw new Error('a timed link source');
  const { src, dst, times } = source;
  let n = 0;
  for (const e of edges)
    if (src.some((s, f) => s === src[e] && dst[f] === dst[e] && times[f] < times[e])) n++;
  return n / edges.length;
}

describe('exact ranking of the temporal model', () => {
  let graph: SharedGraph;
  beforeAll(async () => {
    await messageGraph(tmp);
    graph = await openGraph(join(tmp, 'graph'));
    await initBackend('wasm');
  });

  // Window 30: the pair term over each user's 30 most recent partners, beyond its 8 activities;
  // the last three add the rank buckets, over the sequence and over the window.
  for (const [decoder, score, recency, pairRecency, pairWindow, pairRank] of [
    ['cosine', 'max', false, false, 0, false],
    ['dot', 'attention', false, false, 0, false],
    ['cosine', 'max', true, false, 0, false],
    ['cosine', 'max', true, true, 0, false],
    ['dot', 'attention', false, true, 0, false],
    ['cosine', 'max', true, true, 30, false],
    ['cosine', 'max', true, true, 0, true],
    ['dot', 'attention', false, true, 0, true],
    ['cosine', 'max', true, true, 30, true],
  ] as const)
    it(`scores every target as the sampled ranking does (${decoder}, ${score}${recency ? ', target recency' : ''}${pairRecency ? ', pair recency' : ''}${pairWindow ? `, pair window ${pairWindow}` : ''}${pairRank ? ', pair rank' : ''})`, () => {
      const spec = specOf({
        'model.decoder': decoder,
        'model.temporal.score': score,
        'model.temporal.targetRecency': recency,
        'model.temporal.pairRecency': pairRecency,
        'model.temporal.pairWindow': pairWindow,
        'model.temporal.pairRank': pairRank,
      });
      const { core, seeds, params } = coreWith(spec, graph, 0.9);
      const v = core.sampleInline(seeds.test, 0, 0, seeds.test.length, true);
      const link = v.link!;
      const ptrIds = link.temporal!.pointer!.ids;
      const k = link.numNegatives;
      // The exact path: member side from the batch, candidates = the batch's graph embeddings.
      const pairs = new EvaluatedPairs();
      pairs.addMembers(
        v.seeds,
        link.src,
        link.dst,
        core.model.memberRows(v.model, link.src, link.temporal!),
        {
          ids: ptrIds,
          logGap: link.temporal!.logGap,
          ...(link.temporal!.partners ? { partners: link.temporal!.partners } : {}),
        },
      );
      const built = { core, seeds, params };
      const { worst, job, terms } = exactAgainstSampled(built, graph, v, pairs, recency);
      let pointed = 0;
      link.src.forEach((_, i) => {
        const n = ptrIds.length / link.src.length;
        const acts = ptrIds.subarray(i * n, (i + 1) * n);
        const targets = [link.dst[i], ...link.negDst!.subarray(i * k, (i + 1) * k)];
        for (const t of targets) if (acts.includes(v.seeds[t])) pointed++;
      });
      expect(worst).toBeLessThan(1e-6);
      // The pointer term took part: many targets are among their member's recent partners.
      expect(pointed).toBeGreaterThan(link.src.length / 2);
      // The recency term took part: it moves scores by far more than the tolerance.
      if (terms) expect(Math.max(...terms.map(Math.abs))).toBeGreaterThan(0.1);
      // The pair term took part: a pointed-at target's term differs from "none" by far more.
      const pair = job.pairRecency;
      expect(pair !== undefined).toBe(pairRecency);
      if (pair) {
        const moved = Array.from(pair.score).filter(
          (s, j) => pair.candidate[j] >= 0 && Math.abs(s - pair.none) > 0.1,
        );
        expect(moved.length).toBeGreaterThan(link.src.length / 2);
        // With a window the term reads the partner lists, which reach beyond the activities.
        expect(pair.length).toBe(pairWindow || 8);
        if (pairWindow) {
          const lists = link.temporal!.partners!;
          const beyond = Array.from(lists.count).filter((c) => c > 8).length;
          expect(beyond).toBeGreaterThan(0);
        }
      }
    });

  it('ranks among every user through the trainer core; an open pointer puts earlier partners first', async () => {
    // Sequences long enough to hold every earlier message of every user.
    const n = 64;
    const { indptr } = graph.csr;
    for (let u = 0; u < USERS; u++)
      expect(Number(indptr[u + 1]) - Number(indptr[u])).toBeLessThan(n);
    const spec = specOf({
      'model.decoder': 'cosine',
      'eval.cutoffs': [1, 10],
      'model.temporal.sequenceLength': n,
    });
    const built = coreWith(spec, graph, 1000, false);
    const open = await built.core.evaluate('test');
    const shut = await coreWith(spec, graph, 0, false).core.evaluate('test');
    expect(open.exact_count).toBe(open.count);
    expect(open.exact_count).toBe(built.seeds.test.length);
    expect(open.exact_candidates).toBe(USERS);
    // The baselines read the history only: the same whatever the model.
    expect(open.seen_before_exact_mrr).toBe(shut.seen_before_exact_mrr);
    // Every earlier partner of the member is among its activities and is a known destination,
    // filtered from the ranking but for the pair's own: with the pointer dominating, a pair whose
    // receiver the sender wrote to before (in any split) is ranked first among every user.
    const repeated = earlierPairs(built.seeds.source, built.seeds.test);
    expect(repeated).toBeGreaterThan(0.5);
    expect(open['exact_hits@1']).toBeGreaterThanOrEqual(repeated);
    // Seen-before ranks first only the pairs repeated from before the split (ties aside).
    expect(open['exact_hits@1']).toBeGreaterThan(open['seen_before_exact_hits@1'] - 1 / USERS);
    // The streaming seen-before, at each pair's own time, ranks every repeated pair first; the
    // others tie with every unknown candidate (at least USERS / 2 of them here).
    expect(open['seen_stream_exact_hits@1']).toBeGreaterThanOrEqual(repeated - 1e-12);
    expect(open['seen_stream_exact_hits@1']).toBeLessThan(repeated + (1 - repeated) / 10);
    // It knows all the training-period one knows (here every repeat is of a pair from before the split).
    expect(open['seen_stream_exact_hits@1']).toBeGreaterThanOrEqual(
      open['seen_before_exact_hits@1'],
    );
    expect(open['exact_hits@1']).toBeGreaterThan(shut['exact_hits@1'] + 0.5);
    // The same numbers on one thread and for another chunk size (pointer and members included).
    const one = applyOverrides(spec, { 'eval.workers': 1, 'eval.candidateChunk': 7 });
    expect(await coreWith(one, graph, 1000, false).core.evaluate('test')).toEqual(open);
    expect(open.exact_mrr).toBeGreaterThan(shut.exact_mrr);
  });

  it('sizes its evaluation chunk from the job spec: 357 sequences at N = 100, d = 128, 4 heads', () => {
    const spec = specOf({
      'model.hidden': 128,
      'model.temporal.sequenceLength': 100,
      'model.temporal.heads': 4,
    });
    const temporal = coreOverGraph(spec, graph).core.model.temporal!;
    expect(temporal.config.inDim).toBe(6);
    expect(temporal.evalChunk()).toBe(357);
    const longer = applyOverrides(spec, { 'model.temporal.sequenceLength': 200 });
    expect(coreOverGraph(longer, graph).core.model.temporal!.evalChunk()).toBe(141);
  });

  it('leaves no tensor behind after evaluating several batches, exact ranking included', async () => {
    const spec = specOf({
      'model.decoder': 'cosine',
      'model.temporal.targetRecency': true,
      'model.temporal.pairRecency': true,
      'eval.batchSize': 64,
    });
    const { core, seeds } = coreWith(spec, graph, 0.9);
    expect(seeds.test.length).toBeGreaterThan(3 * 64);
    const first = await core.evaluate('test');
    const before = tf.memory();
    const again = await core.evaluate('test');
    await core.evaluate('val');
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(again).toEqual(first);
  });

  it('adds target recency to every candidate through the trainer core', async () => {
    const spec = specOf({ 'model.decoder': 'cosine', 'model.temporal.targetRecency': true });
    const on = await coreWith(spec, graph, 0, false).core.evaluate('test');
    const zeroed = coreWith(spec, graph, 0, false);
    zeroed.params.get(RECENCY_PARAM)!.fill(0);
    zeroed.core.setParams(zeroed.params);
    const off = await zeroed.core.evaluate('test');
    // The term moves the sampled and the exact ranking alike; the baselines read the history only.
    expect(on.mrr).not.toBe(off.mrr);
    expect(on.exact_mrr).not.toBe(off.exact_mrr);
    expect(on.seen_stream_exact_mrr).toBe(off.seen_stream_exact_mrr);
    expect(on.exact_count).toBe(on.count);
  });

  it('scores every target of the static model with the target-recency term as the sampled ranking does', async () => {
    // The dot decoder, as the marketplace ablation's static rows score.
    const spec = specOf({
      'model.decoder': 'dot',
      'model.temporal.enabled': false,
      'model.temporal.targetRecency': true,
    });
    const { core, seeds } = coreOverGraph(spec, graph);
    const params = core.model.init(3);
    const rng = new Mulberry32(13);
    params.set(
      RECENCY_PARAM,
      Float32Array.from(params.get(RECENCY_PARAM)!, () => rng.next() - 0.5),
    );
    core.setParams(params);
    const v = core.sampleInline(seeds.test, 0, 0, seeds.test.length, true);
    const link = v.link!;
    // No sequences: the sampler ships the targets' gaps alone.
    expect(link.temporal).toBeUndefined();
    expect(link.targetGap!.length).toBe(link.src.length * (1 + link.numNegatives));
    const pairs = new EvaluatedPairs();
    pairs.add(v.seeds, link.src, link.dst, core.model.embed(v.model));
    const built = { core, seeds, params };
    const { worst, terms } = exactAgainstSampled(built, graph, v, pairs, true);
    expect(worst).toBeLessThan(1e-6);
    expect(Math.max(...terms!.map(Math.abs))).toBeGreaterThan(0.1);
    // Through the trainer core: the term moves the sampled and the exact ranking; zeroed, it is off.
    const on = await core.evaluate('test');
    core.setParams(new Map([...params, [RECENCY_PARAM, new Float32Array(RECENCY_FEATURES)]]));
    const off = await core.evaluate('test');
    expect(on.mrr).not.toBe(off.mrr);
    expect(on.exact_mrr).not.toBe(off.exact_mrr);
    expect(on.seen_stream_exact_mrr).toBe(off.seen_stream_exact_mrr);
    expect(on.exact_count).toBe(on.count);
  });

  it('trains under weft train and re-scores the run under weft eval with the same exact numbers', async () => {
    const spec = specOf({
      out: join(tmp, 'run'),
      'model.decoder': 'cosine',
      'sampling.batchSize': 128,
      'train.epochs': 1,
      'sampling.handoff': 'inline',
    });
    const r = await runTraining(spec);
    const t = r.test!;
    expect(t.exact_count).toBe(t.count);
    expect(t.exact_mrr).toBeGreaterThan(0);
    // Deterministic: weft eval loads the best checkpoint and ranks the same pairs the same way.
    const again = await evaluateRun(join(tmp, 'run'), { split: 'test' });
    expect(again.test).toEqual(t);
  });

  it('refuses a training batch past the wasm heap before the first step, naming sampling.batchSize', async () => {
    // 64 sequences of 1,000 activities, 2 heads: about 5 GiB under the gradient tape.
    const spec = specOf({
      out: join(tmp, 'run-heap'),
      'sampling.batchSize': 64,
      'train.epochs': 1,
      'model.temporal.sequenceLength': 1000,
    });
    const e = await runTraining(spec).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(e).toBeDefined();
    expect(String(e!.message)).toContain('sampling.batchSize');
    expect(String(e!.message)).toContain('use sampling.batchSize 38 or less');
    expect(String(e!.message)).not.toContain('table index');
  });
});
