// Link prediction head: positive pairs (src, dst) among the seeds, negatives drawn uniformly by the
// sampler or taken from the other pairs of the batch, a dot, cosine or MLP decoder, and a BCE or BPR loss.

import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../tf/errors.js';
import { gatherRows } from '../ops/gather-rows.js';
import {
  decoderEmbeddings,
  decoderParamSpecs,
  scoreMatrix,
  scorePairs,
  type LinkDecoderKind,
} from './link-decoder.js';
import { inBatchLinkLoss, linkLoss, type LinkLossKind } from './link-loss.js';
import type { ParamSpec } from './params.js';
import { RECENCY_PARAM, targetRecencySpecs, withTargetRecency } from './target-recency.js';
import { POINTER_SCALE, type TemporalInputs } from './temporal-model.js';

export interface LinkTaskConfig {
  kind: 'link';
  /** Default 'dot'. */
  decoder?: LinkDecoderKind;
  /**
   * 'uniform': target.negDst holds K uniformly drawn negatives per positive (seed rows the sampler
   * added). 'in-batch': the other pairs' dst nodes are the negatives (dot: all B−1 through one
   * matmul; mlp: the next numNegatives pairs, cyclically). Default 'uniform'.
   */
  negatives?: 'uniform' | 'in-batch' | 'hard';
  /**
   * 'hard': target.negDst holds a pool of P candidates per positive; the numNegatives kept are the
   * hardRatio share top-scored by the current model (the pool's true destinations are drawn away
   * upstream) and the rest the pool's first others (uniform draws). Default 0.5.
   */
  hardRatio?: number;
  /** Default 'bce'. */
  loss?: LinkLossKind;
  /** For mlp with in-batch negatives, and for hard ones: negatives per positive (default 5). */
  numNegatives?: number;
  /** MLP decoder hidden width (default: the embedding size). */
  decoderHidden?: number;
  /**
   * The target-recency term on the decoder's scores (target-recency.ts), as the temporal model adds
   * it: needs LinkTarget.targetGap and explicit negatives ('uniform'). Default false.
   */
  targetRecency?: boolean;
}

/** Row indices into the seeds (the model output): positive pairs and, for 'uniform', negatives. */
export interface LinkTarget {
  src: Int32Array;
  dst: Int32Array;
  /** src.length × K rows, row-major: negDst[i*K + k] is a negative for src[i]. */
  negDst?: Int32Array;
  /** The temporal model's sequences, one per pair (model.temporal). */
  temporal?: TemporalInputs;
  /**
   * [P · (1 + K)] each target's log1p(time since its newest edge before the pair's time), -1 for
   * none: the P destinations, then the P·K negatives pair-major (the target-recency term).
   */
  targetGap?: Float32Array;
}

export class LinkPredictionHead {
  readonly decoder: LinkDecoderKind;
  readonly negatives: 'uniform' | 'in-batch' | 'hard';
  readonly hardRatio: number;
  readonly lossKind: LinkLossKind;
  readonly numNegatives: number;
  readonly decoderHidden: number;
  readonly targetRecency: boolean;

  constructor(
    cfg: LinkTaskConfig,
    readonly dim: number,
  ) {
    this.decoder = cfg.decoder ?? 'dot';
    this.negatives = cfg.negatives ?? 'uniform';
    this.hardRatio = cfg.hardRatio ?? 0.5;
    this.lossKind = cfg.loss ?? 'bce';
    this.numNegatives = cfg.numNegatives ?? 5;
    this.decoderHidden = cfg.decoderHidden ?? dim;
    this.targetRecency = cfg.targetRecency ?? false;
    if (this.targetRecency && this.negatives !== 'uniform')
      throw new ShapeError(
        'task.targetRecency',
        `needs explicit negatives, whose gaps the sampler ships; negatives is ${this.negatives}`,
      );
  }

  paramSpecs(): ParamSpec[] {
    const specs = decoderParamSpecs(this.decoder, this.dim, this.decoderHidden);
    return this.targetRecency ? [...specs, ...targetRecencySpecs()] : specs;
  }

  /** `scores` of targets plus their target-recency terms (scores as they are with the term off). */
  private withRecency(
    scores: tf.Tensor,
    gaps: Float32Array | undefined,
    params: ReadonlyMap<string, tf.Tensor>,
  ): tf.Tensor {
    if (!this.targetRecency) return scores;
    if (gaps === undefined)
      throw new ShapeError('targetGap', "the target-recency term needs each target's log gap");
    const flat = tf.reshape(scores, [-1]) as tf.Tensor1D;
    return withTargetRecency(flat, gaps, params.get(RECENCY_PARAM)!, POINTER_SCALE);
  }

  private check(target: LinkTarget, numRows: number): void {
    const { src, dst } = target;
    if (src.length !== dst.length || src.length === 0)
      throw new ShapeError(
        'target.src',
        `${src.length} src and ${dst.length} dst rows (need equal, > 0)`,
      );
    const rows = [src, dst, ...(target.negDst !== undefined ? [target.negDst] : [])];
    for (const r of rows)
      for (let i = 0; i < r.length; i++)
        if (r[i] < 0 || r[i] >= numRows)
          throw new ShapeError('target', `row ${r[i]} outside the ${numRows} seeds`);
  }

  /** Negatives per positive and their rows, with weight 0 where a negative is the positive's own dst. */
  private negativesFor(
    target: LinkTarget,
    poolScores?: (srcRep: Int32Array, pool: Int32Array) => Float32Array,
  ): {
    srcRep: Int32Array;
    neg: Int32Array;
    weights: Float32Array;
  } {
    const { src, dst } = target;
    const b = src.length;
    let neg: Int32Array;
    if (this.negatives === 'hard' && poolScores !== undefined) {
      const pool = this.negativesFor(target);
      const scores = poolScores!(pool.srcRep, pool.neg);
      neg = pickHard(pool.neg, scores, pool.weights, b, this.numNegatives, this.hardRatio);
    } else if (this.negatives === 'uniform' || poolScores === undefined) {
      if (
        target.negDst === undefined ||
        target.negDst.length % b !== 0 ||
        target.negDst.length === 0
      )
        throw new ShapeError('target.negDst', `uniform negatives need a multiple of ${b} rows`);
      neg = target.negDst;
    } else {
      const k = Math.min(this.numNegatives, b - 1);
      if (k < 1) throw new ShapeError('target.src', 'in-batch negatives need at least 2 pairs');
      neg = new Int32Array(b * k);
      for (let i = 0; i < b; i++) for (let j = 0; j < k; j++) neg[i * k + j] = dst[(i + 1 + j) % b];
    }
    const k = neg.length / b;
    const srcRep = new Int32Array(neg.length);
    const weights = new Float32Array(neg.length);
    for (let i = 0; i < b; i++)
      for (let j = 0; j < k; j++) {
        srcRep[i * k + j] = src[i];
        weights[i * k + j] = neg[i * k + j] === dst[i] ? 0 : 1;
      }
    return { srcRep, neg, weights };
  }

  loss(emb: tf.Tensor2D, target: LinkTarget, params: ReadonlyMap<string, tf.Tensor>): tf.Scalar {
    this.check(target, emb.shape[0]);
    if (this.decoder !== 'mlp' && this.negatives === 'in-batch') {
      const e = decoderEmbeddings(this.decoder, emb);
      const es = gatherRows(e, target.src) as tf.Tensor2D;
      const ed = gatherRows(e, target.dst) as tf.Tensor2D;
      return inBatchLinkLoss(this.lossKind, scoreMatrix(es, ed), target.dst);
    }
    const { srcRep, neg, weights } = this.negativesFor(target, (u, v) =>
      tf.tidy(() => scorePairs(this.decoder, emb, u, v, params).dataSync() as Float32Array),
    );
    const p = target.src.length;
    const gap = target.targetGap;
    const pos = this.withRecency(
      scorePairs(this.decoder, emb, target.src, target.dst, params),
      gap?.subarray(0, p),
      params,
    );
    const negScores = this.withRecency(
      scorePairs(this.decoder, emb, srcRep, neg, params),
      gap?.subarray(p),
      params,
    );
    return linkLoss(this.lossKind, pos, negScores, weights);
  }

  /**
   * Scores of (src[p], dst[p]) rows of emb, as [P] (mlp's [P × 1] flattened by the caller); with the
   * target-recency term, plus each target's term of `targetGap` [P] (its gap at its pair's time).
   */
  score(
    emb: tf.Tensor2D,
    src: Int32Array,
    dst: Int32Array,
    params: ReadonlyMap<string, tf.Tensor>,
    targetGap?: Float32Array,
  ): tf.Tensor {
    this.check({ src, dst }, emb.shape[0]);
    return this.withRecency(scorePairs(this.decoder, emb, src, dst, params), targetGap, params);
  }
}

/**
 * Per positive, k of its P pool candidates: the round(ratio·k) top-scored (ties to the earlier
 * candidate), then the earliest others (the pool is drawn at random, so these are uniform draws).
 * Candidates of weight 0 (the positive's own destination) are taken last.
 */
export function pickHard(
  pool: Int32Array,
  scores: ArrayLike<number>,
  weights: ArrayLike<number>,
  b: number,
  k: number,
  ratio: number,
): Int32Array {
  const p = pool.length / b;
  const keep = Math.min(k, p);
  const hard = Math.min(keep, Math.round(ratio * keep));
  const out = new Int32Array(b * keep);
  const idx = new Int32Array(p);
  const taken = new Uint8Array(p);
  for (let i = 0; i < b; i++) {
    const at = i * p;
    for (let j = 0; j < p; j++) idx[j] = j;
    idx.sort((x, y) => {
      const wx = weights[at + x] === 0 ? 1 : 0;
      const wy = weights[at + y] === 0 ? 1 : 0;
      return wx - wy || scores[at + y] - scores[at + x] || x - y;
    });
    taken.fill(0);
    for (let j = 0; j < hard; j++) taken[idx[j]] = 1;
    let n = 0;
    for (let j = 0; j < hard; j++) out[i * keep + n++] = pool[at + idx[j]];
    for (let j = 0; j < p && n < keep; j++) {
      if (taken[j] || weights[at + j] === 0) continue;
      out[i * keep + n++] = pool[at + j];
    }
    // Only weight-0 candidates left: they fill up (the loss drops them).
    for (let j = 0; j < p && n < keep; j++)
      if (weights[at + j] === 0 && !taken[j]) out[i * keep + n++] = pool[at + j];
  }
  return out;
}
