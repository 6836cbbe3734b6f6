// Exact filtered ranking of evaluated pairs among every candidate of the destination type: each
// source's decoder scores against all candidates in memory-bounded chunks, counted against the pair's.

/**
 * The pair decoder in plain arrays: dot product, the MLP over the element-wise product, or the
 * temporal model's H member embeddings (each source row holds `heads` rows of `dim`), one dot
 * product each with the candidate, combined by their maximum or by attention over them
 * (kernels/nn/multi-embedding-score.ts).
 */
export type PairDecoder =
  | { kind: 'dot' }
  | {
      kind: 'mlp';
      hidden: number;
      /** [dim × hidden], row-major (decoder.fc0.weight). */
      w0: Float32Array;
      b0: Float32Array;
      /** [hidden] (decoder.fc1.weight). */
      w1: Float32Array;
      b1: number;
    }
  | { kind: 'members'; heads: number; combine: 'max' | 'attention' };

/**
 * The temporal model's pointer (copy) term: a candidate gains `scale` times the source's attention
 * on the activities that are that candidate (docs/temporal.md).
 */
export interface PointerTerm {
  /** Activities per source (N). */
  length: number;
  /** [S × N] candidate index of each activity; -1 where it is no candidate (or padding). */
  candidate: Int32Array;
  /** [S × N] the source's attention on each activity. */
  weight: Float32Array;
  /** Score units per unit of attention (POINTER_SCALE · the pointer's gate). */
  scale: number;
}

/**
 * The temporal model's pair-recency term: a candidate among the source's activities gains the term
 * of its newest such activity (the last, activities oldest first), every other candidate the term
 * of "none" (docs/temporal.md).
 */
export interface PairRecencyTerm {
  /** Activities per source (N). */
  length: number;
  /** [S × N] candidate index of each activity; -1 where it is no candidate (or padding). */
  candidate: Int32Array;
  /** [S × N] the term of each activity (of its log gap at the source row's time). */
  score: Float32Array;
  /** The term of a candidate not among the activities. */
  none: number;
}

/**
 * One ranking job: sources' and candidates' embedding rows and the pairs, grouped by source. The
 * cosine decoder is a dot product of rows normalised beforehand (`cosineRows`).
 */
export interface CandidateRanking {
  dim: number;
  decoder: PairDecoder;
  /** [S × dim], or [S × heads·dim] for the member embeddings */
  sourceRows: Float32Array;
  /** [C × dim] */
  candidateRows: Float32Array;
  /** The pointer term over each source's activities (members only). */
  pointer?: PointerTerm;
  /** The pair-recency term over each source's activities (members only). */
  pairRecency?: PairRecencyTerm;
  /**
   * [S × C]: a score added to each candidate of each source row, whatever the decoder (the temporal
   * model's target-recency term at the row's time).
   */
  recency?: Float32Array;
  /** Pairs of source s are pairPtr[s] .. pairPtr[s+1]; each names its positive's candidate index. */
  pairPtr: Int32Array;
  positive: Int32Array;
  /**
   * Candidates known to be true destinations of source s (every split's, the positives included):
   * knownIdx[knownPtr[s] .. knownPtr[s+1]), distinct; none of them counts as a negative.
   */
  knownPtr: Int32Array;
  knownIdx: Int32Array;
  /** Candidates scored per pass: bounds the scratch (chunk doubles) whatever the candidate count. */
  chunk: number;
}

/** Per pair: candidates scored above and level with the positive, and the negatives ranked among. */
export interface PairCounts {
  above: Int32Array;
  level: Int32Array;
  negatives: Int32Array;
}

/**
 * A source as the scorer reads it: its row (folded into the MLP's first layer for mlp), the extra
 * score of the pointer and of the pair-recency term per candidate among its activities (distinct
 * candidates, each added once), and the score every candidate gains (the pair term's "none").
 */
interface SourceState {
  a: Float64Array;
  copied: Int32Array;
  copiedScore: Float64Array;
  base: number;
  /** The source's row of the job's `recency`, one value per candidate. */
  recency?: Float32Array;
  /** Scratch: one score per member embedding. */
  perHead: Float64Array;
}

/** Scores source `src` against candidate rows [c0, c1) into out[0 .. c1-c0). */
function scoreChunk(
  job: CandidateRanking,
  src: SourceState,
  c0: number,
  c1: number,
  out: Float64Array,
): void {
  const { dim, decoder, candidateRows: cand } = job;
  const a = src.a;
  if (decoder.kind === 'dot') {
    for (let c = c0; c < c1; c++) {
      let s = 0;
      const base = c * dim;
      for (let i = 0; i < dim; i++) s += a[i] * cand[base + i];
      out[c - c0] = s;
    }
  } else if (decoder.kind === 'members') scoreMembers(job, decoder, src, c0, c1, out);
  else {
    // mlp: `a` holds the source's row folded into fc0 (a_i · w0[i, j]), [dim × hidden].
    const { hidden, b0, w1, b1 } = decoder;
    for (let c = c0; c < c1; c++) {
      const base = c * dim;
      let s = b1;
      for (let j = 0; j < hidden; j++) {
        let h = b0[j];
        for (let i = 0; i < dim; i++) h += cand[base + i] * a[i * hidden + j];
        if (h > 0) s += h * w1[j];
      }
      out[c - c0] = s;
    }
  }
  for (let k = 0; k < src.copied.length; k++) {
    const c = src.copied[k];
    if (c >= c0 && c < c1) out[c - c0] += src.copiedScore[k];
  }
  const recency = src.recency;
  if (recency) for (let c = c0; c < c1; c++) out[c - c0] += recency[c];
  const base = src.base;
  if (base !== 0) for (let c = c0; c < c1; c++) out[c - c0] += base;
}

/** The member embeddings' scores against candidates [c0, c1): per embedding a dot, then combined. */
function scoreMembers(
  job: CandidateRanking,
  decoder: { heads: number; combine: 'max' | 'attention' },
  src: SourceState,
  c0: number,
  c1: number,
  out: Float64Array,
): void {
  const { dim, candidateRows: cand } = job;
  const { a, perHead } = src;
  const heads = decoder.heads;
  for (let c = c0; c < c1; c++) {
    const base = c * dim;
    let top = -Infinity;
    for (let h = 0; h < heads; h++) {
      let s = 0;
      const off = h * dim;
      for (let i = 0; i < dim; i++) s += a[off + i] * cand[base + i];
      perHead[h] = s;
      if (s > top) top = s;
    }
    if (decoder.combine === 'max') {
      out[c - c0] = top;
      continue;
    }
    // Attention over the embeddings: Σ_h softmax(s)_h · s_h.
    let z = 0;
    let sum = 0;
    for (let h = 0; h < heads; h++) {
      const w = Math.exp(perHead[h] - top);
      z += w;
      sum += w * perHead[h];
    }
    out[c - c0] = sum / z;
  }
}

/** Source `s` as scoreChunk reads it. */
function sourceState(job: CandidateRanking, s: number): SourceState {
  const { dim, decoder, sourceRows } = job;
  const width = decoder.kind === 'members' ? decoder.heads * dim : dim;
  const row = sourceRows.subarray(s * width, s * width + width);
  const perHead = new Float64Array(decoder.kind === 'members' ? decoder.heads : 0);
  const { copied, copiedScore, base } = activityTermsOf(job, s);
  const numCand = job.candidateRows.length / dim;
  const recency = job.recency?.subarray(s * numCand, (s + 1) * numCand);
  const rest = { copied, copiedScore, base, perHead, ...(recency ? { recency } : {}) };
  if (decoder.kind !== 'mlp') return { a: Float64Array.from(row), ...rest };
  const { hidden, w0 } = decoder;
  const folded = new Float64Array(dim * hidden);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j < hidden; j++) folded[i * hidden + j] = row[i] * w0[i * hidden + j];
  return { a: folded, ...rest };
}

/**
 * Source s's activity terms: per distinct candidate among its activities, the pointer's score
 * (attention summed) plus its pair-recency term beyond "none" (the newest activity's); and "none",
 * which every candidate gains.
 */
function activityTermsOf(
  job: CandidateRanking,
  s: number,
): { copied: Int32Array; copiedScore: Float64Array; base: number } {
  const { pointer: ptr, pairRecency: pair } = job;
  const mass = new Map<number, number>();
  if (ptr)
    for (let k = s * ptr.length; k < (s + 1) * ptr.length; k++) {
      const c = ptr.candidate[k];
      if (c >= 0) mass.set(c, (mass.get(c) ?? 0) + ptr.weight[k]);
    }
  // Activities oldest first: the last one of a candidate is its newest.
  const newest = new Map<number, number>();
  if (pair)
    for (let k = s * pair.length; k < (s + 1) * pair.length; k++)
      if (pair.candidate[k] >= 0) newest.set(pair.candidate[k], pair.score[k]);
  const copied = Int32Array.from(new Set([...mass.keys(), ...newest.keys()]));
  const copiedScore = Float64Array.from(copied, (c) => {
    const pointed = mass.has(c) ? mass.get(c)! * ptr!.scale : 0;
    return newest.has(c) ? pointed + (newest.get(c)! - pair!.none) : pointed;
  });
  return { copied, copiedScore, base: pair ? pair.none : 0 };
}

/** Source s's scores of candidates [c0, c1), exactly as the counts compare them. */
export function candidateScores(
  job: CandidateRanking,
  s: number,
  c0: number,
  c1: number,
): Float64Array {
  const out = new Float64Array(c1 - c0);
  scoreChunk(job, sourceState(job, s), c0, c1, out);
  return out;
}

/**
 * Counts, for the pairs of sources [s0, s1), the candidates scored above and level with each
 * positive, known destinations left out. Every score is computed the same way wherever the chunks
 * fall, so the counts do not depend on `chunk` or on how sources are split between workers.
 */
export function countCandidates(job: CandidateRanking, s0: number, s1: number): PairCounts {
  const q0 = job.pairPtr[s0];
  const nq = job.pairPtr[s1] - q0;
  const out: PairCounts = {
    above: new Int32Array(nq),
    level: new Int32Array(nq),
    negatives: new Int32Array(nq),
  };
  const numCand = job.candidateRows.length / job.dim;
  const chunk = Math.max(1, Math.min(job.chunk, numCand));
  const scores = new Float64Array(chunk);
  const one = new Float64Array(1);
  const scoreOf = (a: SourceState, c: number) => (scoreChunk(job, a, c, c + 1, one), one[0]);
  for (let s = s0; s < s1; s++) {
    const p0 = job.pairPtr[s];
    const p1 = job.pairPtr[s + 1];
    if (p1 === p0) continue;
    const a = sourceState(job, s);
    const pos = new Float64Array(p1 - p0);
    for (let p = p0; p < p1; p++) pos[p - p0] = scoreOf(a, job.positive[p]);
    for (let c0 = 0; c0 < numCand; c0 += chunk) {
      const c1 = Math.min(numCand, c0 + chunk);
      scoreChunk(job, a, c0, c1, scores);
      for (let p = p0; p < p1; p++) countAgainst(out, p - q0, pos[p - p0], scores, c1 - c0);
    }
    // Known destinations (the positive itself among them) are no negatives: take them back out.
    const k0 = job.knownPtr[s];
    const k1 = job.knownPtr[s + 1];
    for (let k = k0; k < k1; k++) {
      one[0] = scoreOf(a, job.knownIdx[k]);
      for (let p = p0; p < p1; p++) countAgainst(out, p - q0, pos[p - p0], one, 1, -1);
    }
    for (let p = p0; p < p1; p++) out.negatives[p - q0] = numCand - (k1 - k0);
  }
  return out;
}

function countAgainst(
  out: PairCounts,
  q: number,
  pos: number,
  scores: Float64Array,
  n: number,
  sign = 1,
): void {
  let above = 0;
  let level = 0;
  for (let c = 0; c < n; c++) {
    if (scores[c] > pos) above++;
    else if (scores[c] === pos) level++;
  }
  out.above[q] += sign * above;
  out.level[q] += sign * level;
}

/** Rows scaled to norm sqrt(scale) (zero rows stay zero), so dot products are scale · cosine. */
export function cosineRows(rows: Float32Array, dim: number, scale: number): Float32Array {
  const out = new Float32Array(rows.length);
  const r = Math.sqrt(scale);
  for (let base = 0; base < rows.length; base += dim) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += rows[base + i] * rows[base + i];
    const f = ss > 0 ? r / Math.sqrt(ss) : 0;
    for (let i = 0; i < dim; i++) out[base + i] = rows[base + i] * f;
  }
  return out;
}
