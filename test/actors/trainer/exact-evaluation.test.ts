// eval.ranking exact on a hand-made interaction log: the model's and the baselines' ranks among every
// candidate, filtering of every split's true destinations, the times the candidates are embedded at
// (never after a pair's own), and numbers that are the same on one thread or two and for any chunk size.

import { describe, expect, it } from 'vitest';
import { defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { linkHistory } from '../../../actors/plan/link-history.js';
import {
  EvaluatedPairs,
  exactRanking,
  rankedPairs,
  rowTimes,
  snapshotsOf,
  type ExactRankingInput,
} from '../../../actors/trainer/exact-evaluation.js';

// Edges (id: src → dst @ time); the last two are the test split, nothing is held out for validation.
const SRC = Int32Array.from([0, 0, 1, 3, 0, 0, 1]);
const DST = Int32Array.from([1, 2, 2, 2, 1, 3, 4]);
const TIMES = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
const TEST = Int32Array.from([5, 6]);
const SETS = { val: new Int32Array(0), test: TEST };

function spec(workers: number, candidateChunk = 65536, snapshots = 0): JobSpec {
  const s = defaultJobSpec();
  s.eval.candidateSnapshots = snapshots;
  s.task = 'link';
  s.model.hidden = 2;
  s.eval.workers = workers;
  s.eval.candidateChunk = candidateChunk;
  s.eval.cutoffs = [1, 10];
  return s;
}

/** Node i embeds as [i, 1]: the dot score of (s, c) is s·c + 1. */
const rowsOf = (ids: ArrayLike<number>) =>
  Float32Array.from(Array.from(ids).flatMap((i) => [i, 1]));

/** The test pairs as an evaluation batch would hand them over: seeds 0, 1, 3, 4. */
function testPairs(): EvaluatedPairs {
  const p = new EvaluatedPairs();
  const seeds = Int32Array.from([0, 1, 3, 4]);
  p.add(seeds, Int32Array.from([0, 1]), Int32Array.from([2, 3]), rowsOf(seeds));
  return p;
}

type Embed = ExactRankingInput['embed'];

async function run(s: JobSpec, times: number[] = [], embed?: Embed) {
  return exactRanking({
    spec: s,
    src: SRC,
    dst: DST,
    times: TIMES,
    pairs: testPairs(),
    split: TEST,
    candidates: [0, 6],
    history: linkHistory({ kind: 'link', src: SRC, dst: DST, times: TIMES }, SETS, 'test')!,
    params: undefined,
    embed: (ids, time) => {
      times.push(time);
      return embed ? embed(ids, time) : Promise.resolve(rowsOf(ids));
    },
  });
}

const harmonic = (a: number, b: number) => {
  let h = 0;
  for (let r = a; r <= b; r++) h += 1 / r;
  return h / (b - a + 1);
};

describe('exact ranking', () => {
  it('orders pairs by source, each with every known destination of its source', () => {
    // Given out of source order: rows come back sorted by source, `order` says from where.
    const p = rankedPairs({
      src: SRC,
      dst: DST,
      pairSrc: [1, 0],
      pairDst: [4, 3],
      candidates: [0, 6],
    });
    expect(Array.from(p.sources)).toEqual([0, 1]);
    expect(Array.from(p.order)).toEqual([1, 0]);
    expect(Array.from(p.positive)).toEqual([3, 4]);
    // Source 0 sent to 1, 2 and 3 (train and test alike); source 1 to 2 and 4.
    expect(Array.from(p.knownIdx)).toEqual([1, 2, 3, 2, 4]);
    expect(Array.from(p.knownPtr)).toEqual([0, 3, 5]);
  });

  it('ranks the model and both baselines among every candidate, filtered (hand-worked)', async () => {
    const times: number[] = [];
    const m = await run(spec(1), times);
    // One snapshot per test pair's time (6 and 7): candidates drawn before each pair's own time.
    expect(times).toEqual([6, 7]);
    expect(m.exact_snapshots).toBe(2);
    // Model: source 0 scores every candidate 1, so 0 → 3 ties with its 3 negatives (ranks 1..4);
    // source 1 scores c + 1: 1 → 4 (5) is beaten by candidate 5 only among {0, 1, 3, 5}: rank 2.
    expect(m.exact_mrr).toBeCloseTo((harmonic(1, 4) + 1 / 2) / 2, 12);
    expect(m['exact_hits@1']).toBeCloseTo((1 / 4 + 0) / 2, 12);
    expect(m['exact_hits@10']).toBe(1);
    // AUC per pair: (negatives below + half the ties) / negatives.
    expect(m.exact_auc).toBeCloseTo((1.5 / 3 + 3 / 4) / 2, 12);
    // Popularity before the test split: node 1 twice, node 2 three times. 0 → 3 (0) ties with
    // {0, 4, 5}; 1 → 4 (0) is beaten by node 1 and ties with {0, 3, 5}: ranks 2..5.
    expect(m.popularity_exact_mrr).toBeCloseTo((harmonic(1, 4) + harmonic(2, 5)) / 2, 12);
    // Seen before: every candidate a source interacted with is known, hence filtered: all ties.
    expect(m.seen_before_exact_mrr).toBeCloseTo((harmonic(1, 4) + harmonic(1, 5)) / 2, 12);
    expect(m.exact_candidates).toBe(6);
    expect(m.exact_count).toBe(2);
    // Filtered: 2 other known destinations for 0 → 3, 1 for 1 → 4.
    expect(m.exact_filtered).toBe(3);
    // Cold slice: source 1 had one edge before the test split (source 0 had three): 1 → 4 alone.
    expect(m.exact_cold_count).toBe(1);
    expect(m.exact_cold_mrr).toBeCloseTo(1 / 2, 12);
    expect(m['exact_cold_hits@1']).toBe(0);
    expect(m['exact_cold_recall@10']).toBe(1);
    expect(m.exact_cold_auc).toBeCloseTo(3 / 4, 12);
  });

  it('gives identical numbers on one thread and two, and for any chunk size', async () => {
    const one = await run(spec(1));
    const two = await run(spec(2));
    const chunked = await run(spec(2, 1));
    expect(two).toEqual(one);
    expect(chunked).toEqual(one);
  });

  it('embeds every candidate once, before the split, with eval.candidateSnapshots 1', async () => {
    const times: number[] = [];
    const m = await run(spec(1, 65536, 1), times);
    expect(times).toEqual([6]);
    expect(m.exact_snapshots).toBe(1);
  });

  it('ranks a candidate that appears during the split with the history it has by then', async () => {
    // Candidate 4 has no interaction before time 7 (its first is the test pair 1 → 4): embedded
    // before 6 it is an empty row and sinks below every candidate; before 7 (its pair's own time,
    // still not seeing the pair) it has the history a sampled batch at that time gives it.
    const born = (ids: Int32Array, time: number) =>
      Promise.resolve(
        Float32Array.from(Array.from(ids).flatMap((i) => (i === 4 && time < 7 ? [0, 0] : [i, 1]))),
      );
    const once = await run(spec(1, 65536, 1), [], born);
    const each = await run(spec(1, 65536, 0), [], born);
    // Source 1 scores c + 1 (c in {0, 1, 3, 5} negatives). Once, before 6: 4 scores 0, below all
    // four negatives (AUC 0); at its own time it scores 5, above 0, 1 and 3, below 5 (AUC 3/4).
    // Source 0 (pair at 6, before 4 appears either way) scores every candidate 1 but the empty 4:
    // of its negatives {0, 4, 5}, 4 is below and two tie (AUC 2/3).
    expect(once.exact_auc).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(each.exact_auc).toBeCloseTo((2 / 3 + 3 / 4) / 2, 12);
  });

  it('cuts the pairs in time order into snapshots, each at its earliest pair, none after a pair', () => {
    const times = Float64Array.from([5, 1, 3, 3, 9, 7]);
    const groups = snapshotsOf(times, 10, 3);
    expect(groups.map((g) => g.time)).toEqual([1, 3, 7]);
    expect(groups.map((g) => Array.from(g.rows))).toEqual([
      [1, 2],
      [3, 0],
      [5, 4],
    ]);
    for (const g of groups) for (const r of g.rows) expect(g.time).toBeLessThanOrEqual(times[r]);
    // Never more than the distinct times; automatic: within the row budget (2^18 / 2^17 = 2).
    expect(snapshotsOf(Float64Array.from([4, 4, 4]), 10, 0)).toHaveLength(1);
    expect(snapshotsOf(times, 1 << 17, 0)).toHaveLength(2);
    expect(snapshotsOf(times, 10, 0)).toHaveLength(5);
  });

  it("times each row by its pair's earliest edge in the split, the split's start if absent", () => {
    // Split: 0 → 1 at 5 and again at 9, 0 → 3 at 6; the pair 1 → 4 is not in it.
    const input = {
      src: Int32Array.from([0, 0, 0, 1]),
      dst: Int32Array.from([1, 3, 1, 4]),
      times: Float64Array.from([5, 6, 9, 2]),
      split: Int32Array.from([2, 0, 1]),
      candidates: [0, 6],
    } as unknown as ExactRankingInput;
    const t = rowTimes(input, Int32Array.from([0, 0, 1]), Int32Array.from([1, 3, 4]));
    expect(Array.from(t)).toEqual([5, 6, 5]);
  });
});
