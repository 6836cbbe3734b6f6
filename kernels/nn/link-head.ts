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
import type { TemporalInputs } from './temporal-model.js';

export interface LinkTaskConfig {
  kind: 'link';
  /** Default 'dot'. */
  decoder?: LinkDecoderKind;
  /**
   * 'uniform': target.negDst holds K uniformly drawn negatives per positive (seed rows the sampler
   * added). 'in-batch': the other pairs' dst nodes are the negatives (dot: all B−1 through one
   * matmul; mlp: the next numNegatives pairs, cyclically). Default 'uniform'.
   */
  negatives?: 'uniform' | 'in-batch';
  /** Default 'bce'. */
  loss?: LinkLossKind;
  /** For mlp with in-batch negatives: negatives per positive (default 5). */
  numNegatives?: number;
  /** MLP decoder hidden width (default: the embedding size). */
  decoderHidden?: number;
}

/** Row indices into the seeds (the model output): positive pairs and, for 'uniform', negatives. */
export interface LinkTarget {
  src: Int32Array;
  dst: Int32Array;
  /** src.length × K rows, row-major: negDst[i*K + k] is a negative for src[i]. */
  negDst?: Int32Array;
  /** The temporal model's sequences, one per pair (model.temporal). */
  temporal?: TemporalInputs;
}

export class LinkPredictionHead {
  readonly decoder: LinkDecoderKind;
  readonly negatives: 'uniform' | 'in-batch';
  readonly lossKind: LinkLossKind;
  readonly numNegatives: number;
  readonly decoderHidden: number;

  constructor(
    cfg: LinkTaskConfig,
    readonly dim: number,
  ) {
    this.decoder = cfg.decoder ?? 'dot';
    this.negatives = cfg.negatives ?? 'uniform';
    this.lossKind = cfg.loss ?? 'bce';
    this.numNegatives = cfg.numNegatives ?? 5;
    this.decoderHidden = cfg.decoderHidden ?? dim;
  }

  paramSpecs(): ParamSpec[] {
    return decoderParamSpecs(this.decoder, this.dim, this.decoderHidden);
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
  private negativesFor(target: LinkTarget): {
    srcRep: Int32Array;
    neg: Int32Array;
    weights: Float32Array;
  } {
    const { src, dst } = target;
    const b = src.length;
    let neg: Int32Array;
    if (this.negatives === 'uniform') {
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
    const { srcRep, neg, weights } = this.negativesFor(target);
    const pos = scorePairs(this.decoder, emb, target.src, target.dst, params);
    const negScores = scorePairs(this.decoder, emb, srcRep, neg, params);
    return linkLoss(this.lossKind, pos, negScores, weights);
  }

  /** Scores of (src[p], dst[p]) rows of emb, as [P] (mlp's [P × 1] flattened by the caller). */
  score(
    emb: tf.Tensor2D,
    src: Int32Array,
    dst: Int32Array,
    params: ReadonlyMap<string, tf.Tensor>,
  ): tf.Tensor {
    this.check({ src, dst }, emb.shape[0]);
    return scorePairs(this.decoder, emb, src, dst, params);
  }
}
