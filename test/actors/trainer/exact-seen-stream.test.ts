// The streaming seen-before baseline of exact ranking on a hand-made log: candidates ranked by the
// source's newest interaction before the pair's own time, then by count, ties level; a pair repeated
// within the test period is seen by its later copy; the training-period seen-before is not.
import { describe, expect, it } from 'vitest';
import { defaultJobSpec } from '../../../actors/job-spec.js';
import { linkHistory } from '../../../actors/plan/link-history.js';
import type { RankedPairs } from '../../../actors/trainer/exact-baselines.js';
import {
  EvaluatedPairs,
  exactRanking,
  pairTimesOf,
} from '../../../actors/trainer/exact-evaluation.js';
import { seenStreamCounts } from '../../../actors/trainer/exact-seen-stream.js';

// Edges (id: src → dst @ time). Training: 0→1 @1, 0→0 @1, 0→2 @2, 0→3 @2, 0→0 @2, 0→1 @3, 1→2 @4.
// Test (ids 7-10): 0→4 @5, 0→4 @6 (the same pair again), 0→2 @7, 1→5 @8.
const SRC = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
const DST = Int32Array.from([1, 0, 2, 3, 0, 1, 2, 4, 4, 2, 5]);
const TIMES = Float64Array.from([1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8]);
const TEST = Int32Array.from([7, 8, 9, 10]);
const LOG = { src: SRC, dst: DST, times: TIMES };
const CANDIDATES = 8;

const harmonic = (a: number, b: number) => {
  let h = 0;
  for (let r = a; r <= b; r++) h += 1 / r;
  return h / (b - a + 1);
};

/** The test pairs in subset order, every row embedding [1, 1] (the model is not under test here). */
function testPairs(): EvaluatedPairs {
  const p = new EvaluatedPairs();
  const seeds = Int32Array.from([0, 1, 2, 4, 5]);
  const rows = new Float32Array(2 * seeds.length).fill(1);
  p.add(seeds, Int32Array.from([0, 0, 0, 1]), Int32Array.from([3, 3, 2, 4]), rows);
  return p;
}

async function rank(pairTimes?: Float64Array) {
  const spec = defaultJobSpec();
  spec.task = 'link';
  spec.model.hidden = 2;
  spec.eval.workers = 1;
  spec.eval.cutoffs = [1];
  const sets = { val: new Int32Array(0), test: TEST };
  return exactRanking({
    spec,
    ...LOG,
    pairs: testPairs(),
    ...(pairTimes ? { pairTimes } : {}),
    split: TEST,
    candidates: [0, CANDIDATES],
    history: linkHistory({ kind: 'link', ...LOG }, sets, 'test')!,
    params: undefined,
    embed: (ids) => Promise.resolve(new Float32Array(2 * ids.length).fill(1)),
  });
}

describe('streaming seen-before under exact ranking', () => {
  it('orders by newest interaction before t, then count; ties level; never seen last', () => {
    // Source 0's pair 0 → 2 at time 7, unfiltered but for the positive: seen before 7 are
    // 0 (last 2, twice), 1 (last 3), 2 (last 2, once), 3 (last 2, once), 4 (last 6: test period).
    const pairs: RankedPairs = {
      lo: 0,
      numCandidates: CANDIDATES,
      sources: Int32Array.of(0),
      pairPtr: Int32Array.of(0, 1),
      positive: Int32Array.of(2),
      knownPtr: Int32Array.of(0, 1),
      knownIdx: Int32Array.of(2),
    };
    const c = seenStreamCounts(pairs, LOG, Float64Array.of(7));
    // Above: 4 (newer), 1 (newer), 0 (as new, more often); level: 3; 5, 6, 7 never seen, below.
    expect(Array.from(c.above)).toEqual([3]);
    expect(Array.from(c.level)).toEqual([1]);
    expect(Array.from(c.negatives)).toEqual([7]);
    // Strictly before time 2 only 0 and 1 were seen: 2 is level with the never-seen 3 .. 7.
    const early = seenStreamCounts(pairs, LOG, Float64Array.of(2));
    expect(Array.from(early.above)).toEqual([2]);
    expect(Array.from(early.level)).toEqual([5]);
  });

  it('ranks a pair repeated within the test period first by its later copy (hand-worked)', async () => {
    const times = pairTimesOf(LOG, TEST, testPairs())!;
    expect(Array.from(times)).toEqual([5, 6, 7, 8]);
    const m = await rank(times);
    // Filtered: source 0 knows {0, 1, 2, 3, 4} (negatives 5, 6, 7), source 1 knows {2, 5} (6 left).
    // 0 → 4 @5: never seen, level with its 3 negatives; 0 → 4 @6: seen at 5 (test period), first;
    // 0 → 2 @7: first; 1 → 5 @8: never seen, level with 6.
    const stream = (harmonic(1, 4) + 1 + 1 + harmonic(1, 7)) / 4;
    expect(m.seen_stream_exact_mrr).toBeCloseTo(stream, 12);
    expect(m.seen_stream_exact_auc).toBeCloseTo((0.5 + 1 + 1 + 0.5) / 4, 12);
    expect(m['seen_stream_exact_hits@1']).toBeCloseTo((1 / 4 + 1 + 1 + 1 / 7) / 4, 12);
    // Training-period seen-before: 0 → 4 was never seen before the split, at either time.
    const before = (2 * harmonic(1, 4) + 1 + harmonic(1, 7)) / 4;
    expect(m.seen_before_exact_mrr).toBeCloseTo(before, 12);
    expect(m.seen_stream_exact_mrr).toBeGreaterThan(m.seen_before_exact_mrr);
  });

  it('without pair times takes each pair at its earliest time in the split', async () => {
    // Both copies of 0 → 4 at time 5: neither sees the other.
    const m = await rank();
    const earliest = (2 * harmonic(1, 4) + 1 + harmonic(1, 7)) / 4;
    expect(m.seen_stream_exact_mrr).toBeCloseTo(earliest, 12);
  });

  it('reads pair times only from the subset the pairs were evaluated in', () => {
    expect(pairTimesOf(LOG, Int32Array.from([7, 8, 10, 9]), testPairs())).toBeUndefined();
    expect(pairTimesOf(LOG, Int32Array.from([7, 8, 9]), testPairs())).toBeUndefined();
    expect(pairTimesOf({ src: SRC, dst: DST }, TEST, testPairs())).toBeUndefined();
  });
});
