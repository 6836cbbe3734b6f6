// Exact ranking among every candidate: ranks of a hand-made case, filtering of known destinations,
// the MLP decoder and the temporal model's member embeddings and pointer against direct evaluations,
// and counts that do not depend on the chunk size.

import { describe, expect, it } from 'vitest';
import {
  candidateScores,
  cosineRows,
  countCandidates,
  type CandidateRanking,
  type PairDecoder,
} from '../../../kernels/metrics/candidate-ranking.js';
import { multiEmbeddingScoreReference } from '../../../kernels/nn/multi-embedding-score.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';

/** Two sources over five 1-d candidates scored by dot product: score = source · candidate. */
function tiny(knownOf: number[][], chunk = 64): CandidateRanking {
  const knownPtr = new Int32Array(knownOf.length + 1);
  knownOf.forEach((k, i) => (knownPtr[i + 1] = knownPtr[i] + k.length));
  return {
    dim: 1,
    decoder: { kind: 'dot' },
    sourceRows: Float32Array.from([1, -1]),
    // Source 0 scores these values, source 1 their negatives; candidates 2 and 3 tie.
    candidateRows: Float32Array.from([0, 1, 2, 2, 4]),
    // Source 0: pairs to candidates 1 and 3; source 1: a pair to candidate 4.
    pairPtr: Int32Array.from([0, 2, 3]),
    positive: Int32Array.from([1, 3, 4]),
    knownPtr,
    knownIdx: Int32Array.from(knownOf.flat()),
    chunk,
  };
}

describe('countCandidates', () => {
  it('ranks each positive among every other candidate (hand-worked)', () => {
    // Known: each pair's own positive only. Source 0 scores 0,1,2,2,4.
    // Pair (0 → 1): above it candidates 2 and 4 (3 is known) → 2; negatives 5 − 2 known = 3.
    // Pair (0 → 3): score 2: above 4 → 1; level candidate 2 → 1.
    // Pair (1 → 4): source 1 scores 0,−1,−2,−2,−4: every other candidate above −4 → 4, of 4.
    const c = countCandidates(tiny([[1, 3], [4]]), 0, 2);
    expect(Array.from(c.above)).toEqual([2, 1, 4]);
    expect(Array.from(c.level)).toEqual([0, 1, 0]);
    expect(Array.from(c.negatives)).toEqual([3, 3, 4]);
  });

  it('filters known destinations other than the one ranked', () => {
    // Source 0 also knows candidate 4 (a true destination in another split): it no longer counts.
    const c = countCandidates(tiny([[1, 3, 4], [4]]), 0, 2);
    expect(Array.from(c.above)).toEqual([1, 0, 4]);
    expect(Array.from(c.level)).toEqual([0, 1, 0]);
    expect(Array.from(c.negatives)).toEqual([2, 2, 4]);
  });

  it('gives the same counts whatever the chunk and the source ranges', () => {
    const job = tiny([[1, 3], [4]], 64);
    const whole = countCandidates(job, 0, 2);
    for (const chunk of [1, 2, 3, 5]) {
      const c = countCandidates({ ...job, chunk }, 0, 2);
      expect(c).toEqual(whole);
    }
    const a = countCandidates(job, 0, 1);
    const b = countCandidates(job, 1, 2);
    expect([...a.above, ...b.above]).toEqual(Array.from(whole.above));
  });

  it('scores the mlp decoder as relu(fc0(a ⊙ b)) · fc1 + bias, checked against every pair', () => {
    const rng = new Xoshiro128Float(7, 1);
    const dim = 4;
    const hidden = 3;
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    const decoder: PairDecoder = {
      kind: 'mlp',
      hidden,
      w0: rand(dim * hidden),
      b0: rand(hidden),
      w1: rand(hidden),
      b1: 0.25,
    };
    const src = rand(2 * dim);
    const cand = rand(30 * dim);
    const score = (s: number, c: number) => {
      let out = decoder.b1;
      for (let j = 0; j < hidden; j++) {
        let h = decoder.b0[j];
        for (let i = 0; i < dim; i++)
          h += src[s * dim + i] * cand[c * dim + i] * decoder.w0[i * hidden + j];
        out += Math.max(0, h) * decoder.w1[j];
      }
      return out;
    };
    const job: CandidateRanking = {
      dim,
      decoder,
      sourceRows: src,
      candidateRows: cand,
      pairPtr: Int32Array.from([0, 1, 3]),
      positive: Int32Array.from([5, 0, 29]),
      knownPtr: Int32Array.from([0, 1, 3]),
      knownIdx: Int32Array.from([5, 0, 29]),
      chunk: 7,
    };
    const c = countCandidates(job, 0, 2);
    const expected = [0, 1, 1].map((s, q) => {
      const pos = score(s, job.positive[q]);
      let above = 0;
      for (let k = 0; k < 30; k++)
        if (!job.knownIdx.subarray(job.knownPtr[s], job.knownPtr[s + 1]).includes(k))
          above += score(s, k) > pos + 1e-9 ? 1 : 0;
      return above;
    });
    expect(Array.from(c.above)).toEqual(expected);
    expect(Array.from(c.negatives)).toEqual([29, 28, 28]);
  });

  for (const combine of ['max', 'attention'] as const)
    it(`scores member embeddings (${combine}) plus the pointer term, the same for any chunk`, () => {
      const rng = new Xoshiro128Float(9, 2);
      const [dim, heads, n, numCand] = [3, 2, 4, 12];
      const rand = (k: number) => Float32Array.from({ length: k }, () => rng.next() * 2 - 1);
      const src = rand(2 * heads * dim);
      const cand = rand(numCand * dim);
      // Source 0 wrote to candidate 3 twice and to 7; source 1 to 3 and to a non-candidate (-1).
      const pointer = {
        length: n,
        candidate: Int32Array.from([3, 7, 3, -1, 3, -1, -1, -1]),
        weight: Float32Array.from([0.25, 0.25, 0.5, 0, 0.6, 0.4, 0, 0]),
        scale: 2,
      };
      const job: CandidateRanking = {
        dim,
        decoder: { kind: 'members', heads, combine },
        sourceRows: src,
        candidateRows: cand,
        pointer,
        pairPtr: Int32Array.from([0, 1, 2]),
        positive: Int32Array.from([3, 5]),
        knownPtr: Int32Array.from([0, 1, 2]),
        knownIdx: Int32Array.from([3, 5]),
        chunk: 64,
      };
      for (let s = 0; s < 2; s++) {
        const e = src.subarray(s * heads * dim, (s + 1) * heads * dim);
        const y = cand;
        // Every candidate against the source's embeddings, repeated per candidate for the reference.
        const rep = Float32Array.from({ length: numCand * heads * dim }, (_, i) => e[i % e.length]);
        const ref = multiEmbeddingScoreReference(rep, y, numCand, heads, dim, combine, false);
        const copied = s === 0 ? { 3: 0.75, 7: 0.25 } : { 3: 0.6 };
        for (const [c, mass] of Object.entries(copied)) ref[Number(c)] += 2 * mass;
        const got = candidateScores(job, s, 0, numCand);
        for (let c = 0; c < numCand; c++) expect(got[c]).toBeCloseTo(ref[c], 6);
      }
      const whole = countCandidates(job, 0, 2);
      for (const chunk of [1, 2, 5])
        expect(countCandidates({ ...job, chunk }, 0, 2)).toEqual(whole);
      // Source 0's positive (3) gets the pointer's 1.5 on top of a score in [-3, 3]: few above it.
      const above = Array.from(candidateScores(job, 0, 0, numCand)).filter(
        (v, c) => c !== 3 && v > candidateScores(job, 0, 3, 4)[0],
      ).length;
      expect(whole.above[0]).toBe(above);
    });

  it('normalises cosine rows to norm sqrt(scale), zero rows to zero', () => {
    const r = cosineRows(Float32Array.from([3, 4, 0, 0]), 2, 5);
    expect(Math.hypot(r[0], r[1])).toBeCloseTo(Math.sqrt(5), 6);
    expect(r[0] / r[1]).toBeCloseTo(0.75, 6);
    expect(Array.from(r.subarray(2))).toEqual([0, 0]);
  });
});
