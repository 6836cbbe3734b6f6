// Per-node fanout budgets: a hop's fanout f becomes a budget k_v per destination node that follows its
// degree (or the effective number of neighbours its edge weights leave), at the fixed fanout's edge cost.
import type { Csr, Offsets } from '../../graph-store/types.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { hashPair } from './hash-pair.js';

/**
 * How a hop's fanout f is spread over the nodes it expands:
 * - 'fixed': every node draws f (the plain sampler).
 * - 'degree': node v's size is its degree d_v (row length).
 * - 'weight': node v's size is the effective number of neighbours of its edge weights,
 *   exp(entropy of w / sum w): d_v for equal weights, near 1 when one edge holds almost all weight.
 * With 'degree' or 'weight', v draws k_v = clamp(floor(c · f · (size_v / meanSize)^alpha + u_v), lo, hi)
 * (u_v a fixed per-node offset in [0, 1): unbiased rounding), where c is set per hop and batch so that
 * the hop samples as many edges as fixed fanout f would.
 */
export type BudgetMode = 'fixed' | 'degree' | 'weight';

/** Budget settings, part of SamplerOptions (plain data, so a worker thread builds the same budgets). */
export interface FanoutBudgetOptions {
  readonly mode: BudgetMode;
  /**
   * Exponent of the sub-linear rule, in [0, 1]: 0 gives every node f (fixed fanout), 1 makes budgets
   * proportional to size. Default 0.5 (a node with 4x the mean degree draws about 2x f).
   */
  readonly alpha?: number;
  /** Fewest draws of a node with neighbours (lowered to f when the hop's fanout is smaller). Default 1. */
  readonly min?: number;
  /** Most draws of a node, as a multiple of the hop's fanout: k_v <= ceil(maxScale · f). Default 4. */
  readonly maxScale?: number;
}

export const BUDGET_DEFAULTS = { alpha: 0.5, min: 1, maxScale: 4 } as const;
const MODES: readonly BudgetMode[] = ['fixed', 'degree', 'weight'];
/** Passes over a hop's frontier at most to set its normaliser c (most hops need one to three). */
const MAX_ROUNDS = 10;
/** The hop's sampled edges may differ from the fixed fanout's by this share (or by one edge). */
const EDGE_TOLERANCE = 0.005;

/** Validates budget options; errors name the field under `prefix` (e.g. 'budget.alpha'). */
export function checkBudgetOptions(o: FanoutBudgetOptions, prefix = 'budget'): void {
  if (!MODES.includes(o.mode)) {
    throw new ConfigError(`budget mode must be one of ${MODES.join(', ')}`, {
      field: `${prefix}.mode`,
    });
  }
  const alpha = o.alpha ?? BUDGET_DEFAULTS.alpha;
  if (!(alpha >= 0 && alpha <= 1))
    throw new ConfigError(`alpha ${alpha} must be in [0, 1]`, { field: `${prefix}.alpha` });
  const min = o.min ?? BUDGET_DEFAULTS.min;
  if (!(Number.isInteger(min) && min >= 1))
    throw new ConfigError(`min ${min} must be an integer >= 1`, { field: `${prefix}.min` });
  const maxScale = o.maxScale ?? BUDGET_DEFAULTS.maxScale;
  if (!(maxScale >= 1 && maxScale < Infinity))
    throw new ConfigError(`maxScale ${maxScale} must be a finite number >= 1`, {
      field: `${prefix}.maxScale`,
    });
}

/** Largest budget any node can get at fanout f (sizes buffers): max(f, ceil(maxScale · f)). */
export function maxBudget(f: number, o: FanoutBudgetOptions | undefined): number {
  if (!o || o.mode === 'fixed' || f < 0) return f;
  return Math.max(f, Math.ceil((o.maxScale ?? BUDGET_DEFAULTS.maxScale) * f));
}

/**
 * Per-node size of the rule: the degree, or exp(entropy) of the row's normalised weights
 * (H = ln W - sum(w ln w) / W with W = sum w, which needs no second pass over the row).
 */
export function nodeSizes(csr: Csr, mode: 'degree' | 'weight'): Float64Array {
  const n = csr.numNodes;
  const indptr = csr.indptr;
  const out = new Float64Array(n);
  if (mode === 'degree') {
    for (let v = 0; v < n; v++) out[v] = indptr[v + 1] - indptr[v];
    return out;
  }
  const w = csr.weights;
  if (!w) {
    throw new ConfigError("budget mode 'weight' needs edge weights; the graph has none", {
      field: 'budget.mode',
    });
  }
  for (let v = 0; v < n; v++) {
    const a = indptr[v];
    const b = indptr[v + 1];
    if (b === a) continue;
    let sum = 0;
    let wlogw = 0;
    for (let p = a; p < b; p++) {
      const x = w[p];
      if (!(x > 0 && x < Infinity)) {
        throw new InputError(`edge weight ${x} at edge ${p} must be finite and > 0`, {
          field: 'weights',
        });
      }
      sum += x;
      wlogw += x * Math.log(x);
    }
    const h = Math.log(sum) - wlogw / sum;
    // Rounding can put the entropy a hair outside [0, ln d]; the size stays in [1, d].
    out[v] = Math.min(b - a, Math.max(1, Math.exp(h)));
  }
  return out;
}

/**
 * Scores s_v = (size_v / meanSize)^alpha, meanSize over nodes with neighbours; 0 for a node without
 * any. Float32: the per-node array a sampler reads in its hop loop.
 */
export function budgetScores(csr: Csr, mode: 'degree' | 'weight', alpha: number): Float32Array {
  const size = nodeSizes(csr, mode);
  return scoresOfSizes(size, meanOfSizeSums([sizeSum(size)]), alpha);
}

/** Scores s_v = (size_v / mean)^alpha of the given sizes (0 for a size of 0), as float32. */
export function scoresOfSizes(size: Float64Array, mean: number, alpha: number): Float32Array {
  const out = new Float32Array(size.length);
  for (let v = 0; v < size.length; v++) out[v] = size[v] > 0 ? Math.pow(size[v] / mean, alpha) : 0;
  return out;
}

/** Fixed-point grid of sizeSum: every size >= 1 is a whole multiple of 2^-52 (its last bit's weight). */
const GRID = 2 ** 52;
const LIMB = 2 ** 28;
const LIMB2 = 2 ** 56;
/** Sizes summed before the limbs carry (2^24 · 2^28 stays below 2^53: every limb sum is exact). */
const CARRY_EVERY = 1 << 24;

/**
 * The exact sum of the positive sizes, and their count, as [low, middle, high limb, count]: each size
 * (>= 1 when positive) is split on the 2^-52 grid into three 28-bit limbs summed without rounding. The
 * sum is therefore independent of order, so sums of the parts of a graph (any partition) combine in
 * meanOfSizeSums to the same float as the whole graph's.
 */
export function sizeSum(size: Float64Array): Float64Array {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let count = 0;
  for (let v = 0; v < size.length; v++) {
    const x = size[v];
    if (!(x > 0)) continue;
    if (!(x >= 1 && x < 2 ** 48))
      throw new InputError(`node size ${x} of row ${v} must be 0 or in [1, 2^48)`, {
        field: 'budget.mode',
      });
    const xi = x * GRID;
    const hi = Math.floor(xi / LIMB2);
    const rest = xi - hi * LIMB2;
    const mid = Math.floor(rest / LIMB);
    s0 += rest - mid * LIMB;
    s1 += mid;
    s2 += hi;
    if (++count % CARRY_EVERY === 0) {
      const c0 = Math.floor(s0 / LIMB);
      s0 -= c0 * LIMB;
      s1 += c0;
      const c1 = Math.floor(s1 / LIMB);
      s1 -= c1 * LIMB;
      s2 += c1;
    }
  }
  return Float64Array.of(s0, s1, s2, count);
}

/**
 * Mean size over the nodes with neighbours from the sizeSum of each part: the exact total, rounded
 * once to float64, over the count (1 without any such node).
 */
export function meanOfSizeSums(sums: readonly Float64Array[]): number {
  let total = 0n;
  let count = 0;
  for (const s of sums) {
    total += BigInt(s[0]) + (BigInt(s[1]) << 28n) + (BigInt(s[2]) << 56n);
    count += s[3];
  }
  // Number(bigint) rounds to nearest; dividing by a power of two is exact.
  return count > 0 ? Number(total) / GRID / count : 1;
}

/** Scores by graph (its indptr array), then by rule: computed once per graph opened in a thread. */
const scoreCache = new WeakMap<Offsets, Map<string, Float32Array>>();

export function cachedScores(csr: Csr, mode: 'degree' | 'weight', alpha: number): Float32Array {
  let byRule = scoreCache.get(csr.indptr);
  if (!byRule) {
    byRule = new Map();
    scoreCache.set(csr.indptr, byRule);
  }
  const key = `${mode}:${alpha}`;
  let s = byRule.get(key);
  if (!s) {
    s = budgetScores(csr, mode, alpha);
    byRule.set(key, s);
  }
  return s;
}

/**
 * A fixed offset in [0, 1) per node: budgets round c·f·s_v by floor(c·f·s_v + u_v), which is unbiased
 * and keeps nodes of one score from all stepping up at the same c (so the edge count is nearly
 * continuous in c and the normaliser can hit its target).
 */
export function roundingOffset(v: number): number {
  return (hashPair(v, 0x5bd1e995) >>> 0) / 4294967296;
}

/**
 * The budgets of one graph under one rule, with the per-hop scratch of one sampler. `assign` fills the
 * budgets of a hop's frontier from typed arrays into reused scratch: nothing is allocated per batch.
 */
export class FanoutBudget {
  readonly mode: 'degree' | 'weight';
  readonly alpha: number;
  readonly min: number;
  readonly maxScale: number;
  /** s_v per node (see budgetScores), shared by every sampler of the graph in this thread. */
  readonly scores: Float32Array;
  /** The normaliser c of the latest `assign`. */
  lastScale = 1;
  private rowScore = new Float32Array(1024);
  private rowOffset = new Float64Array(1024);

  private constructor(o: FanoutBudgetOptions, csr: Csr | undefined) {
    this.mode = o.mode as 'degree' | 'weight';
    this.alpha = o.alpha ?? BUDGET_DEFAULTS.alpha;
    this.min = o.min ?? BUDGET_DEFAULTS.min;
    this.maxScale = o.maxScale ?? BUDGET_DEFAULTS.maxScale;
    this.scores = csr ? cachedScores(csr, this.mode, this.alpha) : new Float32Array(0);
  }

  /** The budgets of `csr` under `o`, or null for 'fixed' (or no options). */
  static of(csr: Csr, o: FanoutBudgetOptions | undefined): FanoutBudget | null {
    if (!o || o.mode === 'fixed') return null;
    checkBudgetOptions(o);
    return new FanoutBudget(o, csr);
  }

  /**
   * Budgets under `o` without a graph (null for 'fixed'): the caller passes each row's score to
   * assignScored, as a partition-owning sampler gets them from the rows' owners.
   */
  static withoutGraph(o: FanoutBudgetOptions | undefined): FanoutBudget | null {
    if (!o || o.mode === 'fixed') return null;
    checkBudgetOptions(o);
    return new FanoutBudget(o, undefined);
  }

  /** Fewest draws of a budgeted row at fanout f: rows of at most this many candidates never draw. */
  minBudget(f: number): number {
    return Math.min(this.min, f);
  }

  /**
   * Budgets of frontier rows [lo, hi) at fanout f > 0: row i is node nodes[i] with avail[i - lo]
   * candidate edges; writes k_i = clamp(floor(c·f·s_i + u_i), min(min, f), max(f, ceil(maxScale·f)))
   * into out[i - lo]. c is chosen so that the hop's sampled edges, sum(min(k_i, avail_i)), come within
   * EDGE_TOLERANCE (or one edge) of the fixed fanout's sum(min(f, avail_i)): it starts at 1, is
   * rescaled by target / sampled, then follows the secant of the last two passes, falling back to
   * bisection of the bracket found so far; after MAX_ROUNDS passes the closest c is used. Returns
   * the hop's sampled edges.
   */
  assign(
    nodes: Int32Array,
    lo: number,
    hi: number,
    avail: Int32Array,
    f: number,
    out: Int32Array,
  ): number {
    const rows = hi - lo;
    this.reserveRows(rows);
    const scores = this.scores;
    const score = this.rowScore;
    for (let r = 0; r < rows; r++) score[r] = scores[nodes[lo + r]];
    return this.solve(nodes, lo, rows, avail, f, out);
  }

  /**
   * As assign, with row i's score given as rowScores[i - lo] (the s_v of node nodes[i]) instead of
   * read from this graph's scores: the same budgets when the scores are the same.
   */
  assignScored(
    nodes: Int32Array,
    lo: number,
    hi: number,
    rowScores: Float32Array,
    avail: Int32Array,
    f: number,
    out: Int32Array,
  ): number {
    const rows = hi - lo;
    this.reserveRows(rows);
    const score = this.rowScore;
    for (let r = 0; r < rows; r++) score[r] = rowScores[r];
    return this.solve(nodes, lo, rows, avail, f, out);
  }

  private reserveRows(rows: number): void {
    if (this.rowScore.length < rows) {
      this.rowScore = new Float32Array(Math.max(rows, 2 * this.rowScore.length));
      this.rowOffset = new Float64Array(this.rowScore.length);
    }
  }

  /** The normaliser search of assign over rows whose scores are in rowScore. */
  private solve(
    nodes: Int32Array,
    lo: number,
    rows: number,
    avail: Int32Array,
    f: number,
    out: Int32Array,
  ): number {
    const offset = this.rowOffset;
    let target = 0;
    for (let r = 0; r < rows; r++) {
      offset[r] = roundingOffset(nodes[lo + r]);
      const a = avail[r];
      target += a < f ? a : f;
    }
    let c = 1;
    let below = 0;
    let above = Infinity;
    let bestC = 1;
    let bestGap = Infinity;
    let bestSampled = 0;
    let prevC = 0;
    let prevSampled = -1;
    for (let round = 0; ; round++) {
      const sampled = this.fill(rows, avail, c * f, f, out);
      const gap = Math.abs(sampled - target);
      if (gap < bestGap) {
        bestGap = gap;
        bestC = c;
        bestSampled = sampled;
      }
      if (sampled === 0 || gap <= 1 || gap <= EDGE_TOLERANCE * target) break;
      if (round + 1 >= MAX_ROUNDS) {
        if (bestC !== c) this.fill(rows, avail, bestC * f, f, out);
        break;
      }
      if (sampled < target) below = c;
      else above = c;
      // Secant through the last two passes (the first step is proportional: sampled(0) is about 0).
      let next =
        prevSampled >= 0 && sampled !== prevSampled
          ? c + ((target - sampled) * (c - prevC)) / (sampled - prevSampled)
          : (c * target) / sampled;
      if (!(next > below && next < above)) next = above === Infinity ? 2 * c : (below + above) / 2;
      prevC = c;
      prevSampled = sampled;
      c = next;
    }
    this.lastScale = bestC;
    return bestSampled;
  }

  /** One pass: budgets at c·f into out; returns the sampled edges they give. */
  private fill(rows: number, avail: Int32Array, cf: number, f: number, out: Int32Array): number {
    const score = this.rowScore;
    const offset = this.rowOffset;
    const minK = Math.min(this.min, f);
    const maxK = Math.max(f, Math.ceil(this.maxScale * f));
    let sampled = 0;
    for (let r = 0; r < rows; r++) {
      let k = Math.floor(cf * score[r] + offset[r]);
      if (k < minK) k = minK;
      else if (k > maxK) k = maxK;
      out[r] = k;
      const a = avail[r];
      sampled += a < k ? a : k;
    }
    return sampled;
  }
}
