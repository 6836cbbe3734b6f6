// LiGNN's temporal activity model: a member's last N activities before the query time (activity
// features, time gap, relation) through a causal transformer, combined with the member's graph
// embedding into H embeddings scored against targets; next-activity and long-term losses.

import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { gatherRows } from '../ops/gather-rows.js';
import { ShapeError } from '../tf/errors.js';
import { causalMask, MASKED } from './causal-attention.js';
import { layerNorm } from './layer-norm.js';
import { linkLoss, type LinkLossKind } from './link-loss.js';
import { smallTableRows } from './small-table.js';
import { RECENCY_PARAM, targetRecencySpecs, withTargetRecency } from './target-recency.js';
import {
  PAIR_RANK_PARAM,
  PAIR_RECENCY_PARAM,
  pairRecencyScore,
  pairRecencySpecs,
  type PairActivities,
} from './pair-recency.js';
import { multiEmbeddingScore, type MultiScoreKind } from './multi-embedding-score.js';
import type { ParamSpec } from './params.js';
import { sequenceChunk } from './sequence-memory.js';
import { encodeTime, timeEncodingSpecs, type TimeEncodingKind } from './time-encoding.js';
import { transformerLayer, transformerLayerSpecs } from './transformer-layer.js';

export interface TemporalConfig {
  /** Width of the activity nodes' input features. */
  inDim: number;
  /** Model width: token, transformer and embedding size (the graph encoder's output width). */
  dim: number;
  /** N: activities per sequence. */
  sequenceLength: number;
  /** Transformer layers (1–2). */
  layers: number;
  /** Attention heads; dim must be a multiple. */
  heads: number;
  /** H: member embeddings. */
  embeddings: number;
  score: MultiScoreKind;
  timeEncoding: TimeEncodingKind;
  /** The pointer (copy) term over the sequence's activity nodes (needs TemporalInputs.pointer). */
  pointer?: boolean;
  /** The target-recency term (needs LinkTarget.targetGap; target-recency.ts). */
  targetRecency?: boolean;
  /** The pair-recency term (needs TemporalInputs.pointer: the activities' ids; pair-recency.ts). */
  pairRecency?: boolean;
  /** The pair-recency term's rank buckets (model.temporal.pairRank; needs pairRecency). */
  pairRank?: boolean;
  /** Relations of the graph (the activity edge's type picks a learned vector). */
  numRelations: number;
  /** Weight of each long-term window's loss; empty: no long-term loss (and no parameter for it). */
  longTermWeights: readonly number[];
  /** Score with scaled cosines (the cosine decoder) instead of dot products. */
  cosine: boolean;
  loss: LinkLossKind;
}

/**
 * One batch's sequences, one per positive pair p (the pair's source at the pair's time), oldest
 * activity first, padded after `count[p]` (padding values are never read).
 */
export interface TemporalInputs {
  /** [P × N × inDim] the activity nodes' input features. */
  x: Float32Array;
  /** [P × N] log1p(t − t_activity) in the data's time units. */
  logGap: Float32Array;
  /** [P × N] relation (edge type) of each activity edge. */
  rel: Int32Array;
  /** [P] activities present (0..N). */
  count: Int32Array;
  /** Node ids of the activities and of the targets, for the pointer term. */
  pointer?: PointerIds;
  /** Long-term targets (training batches of a job with a long-term loss). */
  future?: FutureTargets;
  /**
   * With model.temporal.pairWindow: each pair's most recent distinct partners over its whole
   * history, where the pair-recency term looks instead of the activities.
   */
  partners?: PairActivities;
}

/** Ids the pointer term compares: a target scores the activities that are the same node. */
export interface PointerIds {
  /** [P × N] global id of each activity's node (-1 padding). */
  ids: Int32Array;
  /** Global id of each row of the graph embeddings (the batch's seeds): the targets' ids. */
  seedIds: Int32Array;
}

/**
 * What scoring a pair's targets needs: its H embeddings [P × H·d] and, with the pointer term, its
 * attention over its activities [P × N], their ids and the gate.
 */
export interface MemberState {
  embeddings: tf.Tensor2D;
  /** With the target-recency term: its weights (the targets' gaps come with each scoring). */
  recency?: tf.Tensor;
  /** weights [P × (N + 1)]: column k + 1 is activity k's (column 0, the start token's, is 0). */
  pointer?: { weights: tf.Tensor2D; ids: PointerIds; gate: tf.Tensor };
  /** With the pair-recency term: its weights, the pairs' activities and the targets' ids. */
  pairRecency?: {
    weight: tf.Tensor;
    /** With model.temporal.pairRank: the rank buckets' weights. */
    rankWeight?: tf.Tensor;
    acts: PairActivities;
    seedIds: Int32Array;
  };
}

/** The member's activities after the pair's time, per window, up to `cap` each. */
export interface FutureTargets {
  windows: number;
  cap: number;
  /** [P × W × cap × inDim] the target nodes' input features. */
  x: Float32Array;
  /** [P × W] targets present per window. */
  count: Int32Array;
  /** [P × W × cap] global ids of the targets (a negative equal to the positive is dropped). */
  ids: Int32Array;
}

type Params = ReadonlyMap<string, tf.Tensor>;

/** How much smaller than Glorot the member-embedding weights start (see paramSpecs). */
const HEADS_INIT_SHRINK = 100;
/**
 * The pointer gate's unit in score units: Adam moves a parameter by about the learning rate per
 * step, so the gate reaches a score of a few (the cosine decoder's range) in tens of steps.
 */
export const POINTER_SCALE = 5;

export class TemporalActivityModel {
  constructor(readonly config: TemporalConfig) {
    const c = config;
    if (c.dim % c.heads !== 0)
      throw new ShapeError(
        'model.temporal.heads',
        `model width ${c.dim} is not a multiple of ${c.heads} heads`,
      );
  }

  paramSpecs(): ParamSpec[] {
    const { inDim, dim: d, embeddings: h, numRelations: r } = this.config;
    const specs: ParamSpec[] = [
      {
        name: 'temporal.activity.weight',
        shape: [inDim, d],
        init: { kind: 'glorot', fanIn: inDim, fanOut: d },
      },
      { name: 'temporal.activity.bias', shape: [d], init: { kind: 'zeros' } },
      ...timeEncodingSpecs(this.config.timeEncoding, d),
      { name: 'temporal.relation', shape: [r, d], init: { kind: 'glorot', fanIn: r, fanOut: d } },
      { name: 'temporal.start', shape: [1, d], init: { kind: 'glorot', fanIn: 1, fanOut: d } },
    ];
    for (let l = 0; l < this.config.layers; l++)
      specs.push(...transformerLayerSpecs(`temporal.layer${l}`, d));
    specs.push(
      { name: 'temporal.final.gamma', shape: [d], init: { kind: 'ones' } },
      { name: 'temporal.final.beta', shape: [d], init: { kind: 'zeros' } },
      {
        name: 'temporal.heads.weight',
        shape: [2 * d, h * d],
        // Small (Glorot as if the fan-in were HEADS_INIT_SHRINK times larger): each embedding starts
        // close to the graph embedding it offsets, yet the H of them differ, so they can specialise.
        init: { kind: 'glorot', fanIn: HEADS_INIT_SHRINK * 2 * d, fanOut: d },
      },
      { name: 'temporal.heads.bias', shape: [h * d], init: { kind: 'zeros' } },
      // Closed at first: the embeddings start as the graph embedding, the static model's scores.
      { name: 'temporal.heads.gate', shape: [1], init: { kind: 'zeros' } },
    );
    if (this.config.pointer)
      specs.push(
        // Zero: the attention over activities starts uniform (a frequency count), the gate closed.
        { name: 'temporal.pointer.query', shape: [d, d], init: { kind: 'zeros' } },
        { name: 'temporal.pointer.recency', shape: [1], init: { kind: 'zeros' } },
        { name: 'temporal.pointer.gate', shape: [1], init: { kind: 'zeros' } },
      );
    if (this.config.targetRecency) specs.push(...targetRecencySpecs());
    if (this.config.pairRecency) specs.push(...pairRecencySpecs(this.config.pairRank));
    if (this.config.longTermWeights.length > 0)
      specs.push({
        name: 'temporal.future.weight',
        shape: [d, d],
        init: { kind: 'glorot', fanIn: d, fanOut: d },
      });
    return specs;
  }

  private check(inputs: TemporalInputs): number {
    const { sequenceLength: n, inDim } = this.config;
    const seqs = inputs.count.length;
    if (
      inputs.x.length !== seqs * n * inDim ||
      inputs.logGap.length !== seqs * n ||
      inputs.rel.length !== seqs * n
    )
      throw new ShapeError(
        'temporal',
        `sequence arrays do not match ${seqs} sequences × ${n} × ${inDim}`,
      );
    for (let i = 0; i < seqs; i++)
      if (!(inputs.count[i] >= 0 && inputs.count[i] <= n))
        throw new ShapeError(
          'temporal.count',
          `sequence ${i}: ${inputs.count[i]} outside [0, ${n}]`,
        );
    for (const r of inputs.rel)
      if (!(r >= 0 && r < this.config.numRelations))
        throw new ShapeError(
          'temporal.rel',
          `relation ${r} outside [0, ${this.config.numRelations})`,
        );
    return seqs;
  }

  /** Activity tokens [P·N × d]: projected features + time encoding + relation vector. */
  private tokens(inputs: TemporalInputs, p: Params): tf.Tensor2D {
    const rows = inputs.count.length * this.config.sequenceLength;
    const x = tf.tensor2d(inputs.x, [rows, this.config.inDim]);
    const act = tf.add(
      tf.matMul(x, p.get('temporal.activity.weight') as tf.Tensor2D),
      p.get('temporal.activity.bias')!,
    );
    const time = encodeTime(this.config.timeEncoding, inputs.logGap, p);
    return tf.add(
      tf.add(act, time),
      smallTableRows(p.get('temporal.relation')!, inputs.rel),
    ) as tf.Tensor2D;
  }

  /**
   * The sequence summary of every pair [P × d]: a learned start token then the activities, through
   * the causal layers and the final norm; the output read at the last activity (the start token
   * when there is none). With the pointer term, also the attention of each summary over its
   * activities' outputs [P × (N + 1)] (column 0, the start token's, always 0).
   */
  encodeSequences(
    inputs: TemporalInputs,
    p: Params,
  ): { summary: tf.Tensor2D; pointer: tf.Tensor2D | null } {
    const seqs = this.check(inputs);
    const { sequenceLength: n, dim: d, heads } = this.config;
    const steps = n + 1;
    const start = tf.tile(tf.reshape(p.get('temporal.start')!, [1, 1, d]), [seqs, 1, 1]);
    const acts = tf.reshape(this.tokens(inputs, p), [seqs, n, d]);
    let z = tf.reshape(tf.concat([start, acts], 1), [seqs * steps, d]) as tf.Tensor2D;
    const mask = tf.tensor3d(causalMask(inputs.count, steps, heads), [seqs * heads, steps, steps]);
    for (let l = 0; l < this.config.layers; l++)
      z = transformerLayer(z, p, `temporal.layer${l}`, { numSeqs: seqs, steps, heads, mask });
    const normed = layerNorm(
      z,
      p.get('temporal.final.gamma') as tf.Tensor1D,
      p.get('temporal.final.beta') as tf.Tensor1D,
    );
    const last = Int32Array.from(inputs.count, (c, i) => i * steps + c);
    const summary = gatherRows(normed, last) as tf.Tensor2D;
    if (!this.config.pointer) return { summary, pointer: null };
    const keys = tf.reshape(normed, [seqs, steps, d]) as tf.Tensor3D;
    return { summary, pointer: pointerWeights(summary, keys, inputs, p) };
  }

  /**
   * Sequences an evaluation encodes at once (sequence-memory.ts): as many as keep the encoder's
   * intermediates within EVAL_SEQUENCE_BYTES, so the wasm heap's 4 GiB is never reached.
   */
  evalChunk(): number {
    return sequenceChunk(this.config);
  }

  /**
   * encodeSequences over sequences [s0, s0 + chunk), each chunk in its own tidy: only its summary and
   * pointer weights outlive it. Evaluation only (a tidy under a gradient tape would free what the
   * backward pass reads). Every sequence is encoded alone, so the chunking never changes a value.
   */
  encodeInChunks(
    inputs: TemporalInputs,
    p: Params,
    chunk: number,
  ): { summary: tf.Tensor2D; pointer: tf.Tensor2D | null } {
    const seqs = inputs.count.length;
    if (seqs <= chunk) return this.encodeSequences(inputs, p);
    const summaries: tf.Tensor2D[] = [];
    const pointers: tf.Tensor2D[] = [];
    for (let s0 = 0; s0 < seqs; s0 += chunk) {
      const part = sequenceSlice(inputs, s0, Math.min(seqs, s0 + chunk), this.config);
      const out = tf.tidy(() => {
        const e = this.encodeSequences(part, p);
        return e.pointer ? [e.summary, e.pointer] : [e.summary];
      });
      summaries.push(out[0]);
      if (out[1]) pointers.push(out[1]);
    }
    return {
      summary: tf.concat(summaries, 0),
      pointer: pointers.length > 0 ? tf.concat(pointers, 0) : null,
    };
  }

  /**
   * The H member embeddings of every pair [P × H·d]: e_h = h_s + α·([q | h_s] W_h + b_h), the
   * member's graph embedding h_s offset per embedding by its sequence summary q (and by h_s itself),
   * through a gate α that starts at 0: the model starts from the static one's scores, and the
   * offsets grow only as fast as Adam opens the gate (about the learning rate per step), not as fast
   * as it moves every entry of W_h. With `chunk` (evaluation), the sequences are encoded that many at
   * a time (encodeInChunks).
   */
  memberEmbeddings(
    graphEmb: tf.Tensor2D,
    memberRows: Int32Array,
    inputs: TemporalInputs,
    p: Params,
    chunk?: number,
  ): MemberState {
    const { summary: q, pointer } =
      chunk === undefined ? this.encodeSequences(inputs, p) : this.encodeInChunks(inputs, p, chunk);
    const member = gatherRows(graphEmb, memberRows) as tf.Tensor2D;
    const both = tf.concat([q, member], 1) as tf.Tensor2D;
    const offsets = tf.mul(
      tf.add(
        tf.matMul(both, p.get('temporal.heads.weight') as tf.Tensor2D),
        p.get('temporal.heads.bias')!,
      ),
      p.get('temporal.heads.gate')!,
    );
    const h = this.config.embeddings;
    const embeddings = tf.add(offsets, tf.tile(member, [1, h])) as tf.Tensor2D;
    const recency = {
      ...(this.config.targetRecency ? { recency: p.get(RECENCY_PARAM)! } : {}),
      ...this.pairRecencyState(inputs, p),
    };
    if (pointer === null) return { embeddings, ...recency };
    if (!inputs.pointer)
      throw new ShapeError('temporal.pointer', "the pointer term needs the activities' node ids");
    const gate = p.get('temporal.pointer.gate')!;
    return { embeddings, ...recency, pointer: { weights: pointer, ids: inputs.pointer, gate } };
  }

  /** What the pair-recency term reads of the pairs: nothing when it is off. */
  private pairRecencyState(inputs: TemporalInputs, p: Params): Pick<MemberState, 'pairRecency'> {
    if (!this.config.pairRecency) return {};
    if (!inputs.pointer)
      throw new ShapeError(
        'temporal.pairRecency',
        "the pair-recency term needs the activities' ids",
      );
    const { ids, seedIds } = inputs.pointer;
    const acts = inputs.partners ?? { ids, logGap: inputs.logGap, count: inputs.count };
    const rankWeight = this.config.pairRank ? p.get(PAIR_RANK_PARAM)! : undefined;
    return {
      pairRecency: {
        weight: p.get(PAIR_RECENCY_PARAM)!,
        ...(rankWeight ? { rankWeight } : {}),
        acts,
        seedIds,
      },
    };
  }

  /**
   * Score of entry k: the member embeddings of pair seq[k] against target embedding row k of
   * `targets`, plus, with the pointer term and `targetRows` (the targets' rows among the graph
   * embeddings), POINTER_SCALE · gate · the pair's attention on activities that are the target, and
   * with the target-recency term and `targetGap` (entry k's target's log gap at its pair's time) its
   * learned function of that gap, and with the pair-recency term and `targetRows` the learned
   * function of the pair's newest activity that is the target (pair-recency.ts).
   */
  score(
    members: MemberState,
    seq: Int32Array,
    targets: tf.Tensor2D,
    targetRows?: Int32Array,
    targetGap?: Float32Array,
  ): tf.Tensor1D {
    let s = this.pointerScore(members, seq, targets, targetRows);
    const pair = members.pairRecency;
    if (pair && targetRows) {
      const ids = Int32Array.from(targetRows, (r) => pair.seedIds[r]);
      const term = pairRecencyScore(
        pair.acts,
        seq,
        ids,
        pair.weight,
        POINTER_SCALE,
        pair.rankWeight,
      );
      s = tf.add(s, term) as tf.Tensor1D;
    }
    if (!members.recency || !targetGap) return s;
    return withTargetRecency(s, targetGap, members.recency, POINTER_SCALE);
  }

  /** The embeddings' score of each entry, with the pointer term when it is on (see score). */
  private pointerScore(
    members: MemberState,
    seq: Int32Array,
    targets: tf.Tensor2D,
    targetRows?: Int32Array,
  ): tf.Tensor1D {
    // Entries in runs of `per` per pair, pair by pair (every scoring here): broadcast, no gather.
    const pairs = members.embeddings.shape[0];
    const per = seq.length / pairs;
    const runs = Number.isInteger(per) && seq.every((q, j) => q === Math.floor(j / per));
    const e = runs ? members.embeddings : (gatherRows(members.embeddings, seq) as tf.Tensor2D);
    const s = multiEmbeddingScore(
      e,
      targets,
      this.config.embeddings,
      this.config.score,
      this.config.cosine,
    );
    const ptr = members.pointer;
    if (!ptr || !targetRows) return s;
    const n = this.config.sequenceLength;
    const steps = n + 1;
    const same = new Float32Array(seq.length * steps);
    for (let k = 0; k < seq.length; k++) {
      const y = ptr.ids.seedIds[targetRows[k]];
      for (let j = 0; j < n; j++)
        if (ptr.ids.ids[seq[k] * n + j] === y) same[k * steps + j + 1] = 1;
    }
    const copied = tf.sum(
      tf.mul(gatherRows(ptr.weights, seq), tf.tensor2d(same, [seq.length, steps])),
      1,
    );
    return tf.add(s, tf.mul(copied, tf.mul(ptr.gate, POINTER_SCALE))) as tf.Tensor1D;
  }

  /**
   * Next-activity loss on the pairs (dst the positive, negDst K negatives per pair, weight 0 where a
   * negative is the positive) plus Σ_w λ_w · long-term loss of window w (docs/temporal.md).
   */
  loss(
    graphEmb: tf.Tensor2D,
    target: {
      src: Int32Array;
      dst: Int32Array;
      negDst: Int32Array;
      temporal: TemporalInputs;
      /** The targets' log gaps (LinkTarget.targetGap), for the target-recency term. */
      targetGap?: Float32Array;
    },
    p: Params,
  ): tf.Scalar {
    const { src, dst, negDst, temporal } = target;
    const pairs = src.length;
    const k = negDst.length / pairs;
    const members = this.memberEmbeddings(graphEmb, src, temporal, p);
    const all = Int32Array.from({ length: pairs }, (_, i) => i);
    const gap = target.targetGap;
    const pos = this.score(
      members,
      all,
      gatherRows(graphEmb, dst) as tf.Tensor2D,
      dst,
      gap?.subarray(0, pairs),
    );
    const negSeq = Int32Array.from({ length: negDst.length }, (_, j) => Math.floor(j / k));
    const weights = Float32Array.from(negDst, (r, j) => (r === dst[negSeq[j]] ? 0 : 1));
    const negEmb = gatherRows(graphEmb, negDst) as tf.Tensor2D;
    const neg = this.score(members, negSeq, negEmb, negDst, gap?.subarray(pairs));
    let total = linkLoss(this.config.loss, pos, neg, weights);
    if (temporal.future)
      total = tf.add(total, this.longTermLoss(members, temporal.future, p)) as tf.Scalar;
    return total;
  }

  /**
   * Σ_w λ_w · BCE over window w's targets: each target of pair i (positive, scored by i's H
   * embeddings) against another pair's target of the same window (negative), see docs/temporal.md.
   */
  private longTermLoss(members: MemberState, f: FutureTargets, p: Params): tf.Scalar {
    const weights = this.config.longTermWeights;
    if (f.windows !== weights.length)
      throw new ShapeError('temporal.future', `${f.windows} windows for ${weights.length} weights`);
    const pairs = f.count.length / f.windows;
    // Zero times the projection keeps it on the loss's path when no window has two targets.
    let total = tf.mul(tf.sum(p.get('temporal.future.weight')!), 0) as tf.Scalar;
    for (let w = 0; w < f.windows; w++) {
      const picked = futurePairs(f, w, pairs);
      if (picked === null || weights[w] === 0) continue;
      const x = tf.tensor2d(gatherFeatureRows(f.x, picked.slots, this.config.inDim), [
        picked.slots.length,
        this.config.inDim,
      ]);
      const act = tf.add(
        tf.matMul(x, p.get('temporal.activity.weight') as tf.Tensor2D),
        p.get('temporal.activity.bias')!,
      );
      const y = tf.matMul(act, p.get('temporal.future.weight') as tf.Tensor2D) as tf.Tensor2D;
      const pos = this.score(members, picked.member, y);
      const neg = this.score(members, picked.member, gatherRows(y, picked.negative) as tf.Tensor2D);
      total = tf.add(
        total,
        tf.mul(linkLoss('bce', pos, neg, picked.negWeight), weights[w]),
      ) as tf.Scalar;
    }
    return total;
  }
}

/**
 * π [P × (N + 1)]: each pair's attention over its activities, softmax_k(⟨q W_π, o_k⟩ / √d − β·g_k)
 * over the k < count (o_k the final-normed output at activity k, g_k its log gap), in column k + 1;
 * the start token's column and padding get 0. Read off the layer's [P × (N + 1) × d] output as it
 * lies, so no gather of the activity rows (and no segment sum back) is needed.
 */
function pointerWeights(
  summary: tf.Tensor2D,
  outputs: tf.Tensor3D,
  inputs: TemporalInputs,
  p: Params,
): tf.Tensor2D {
  const [seqs, steps, d] = outputs.shape;
  const n = steps - 1;
  const query = tf.matMul(summary, p.get('temporal.pointer.query') as tf.Tensor2D);
  const content = tf.mul(tf.sum(tf.mul(outputs, tf.expandDims(query, 1)), 2), 1 / Math.sqrt(d));
  const minusGap = new Float32Array(seqs * steps);
  const mask = new Float32Array(seqs * steps).fill(MASKED);
  for (let i = 0; i < seqs; i++)
    for (let k = 0; k < inputs.count[i]; k++) {
      minusGap[i * steps + k + 1] = -inputs.logGap[i * n + k];
      mask[i * steps + k + 1] = 0;
    }
  const recency = tf.mul(tf.tensor2d(minusGap, [seqs, steps]), p.get('temporal.pointer.recency')!);
  const logits = tf.add(tf.add(content, recency), tf.tensor2d(mask, [seqs, steps]));
  // A sequence without activities would spread its softmax over padding: zero it.
  const valid = Float32Array.from(mask, (m) => (m === 0 ? 1 : 0));
  return tf.mul(tf.softmax(logits), tf.tensor2d(valid, [seqs, steps])) as tf.Tensor2D;
}

/** Sequences [s0, s1) of a batch's inputs, as views (what encodeSequences reads of them). */
function sequenceSlice(
  inputs: TemporalInputs,
  s0: number,
  s1: number,
  c: Pick<TemporalConfig, 'sequenceLength' | 'inDim'>,
): TemporalInputs {
  const n = c.sequenceLength;
  return {
    x: inputs.x.subarray(s0 * n * c.inDim, s1 * n * c.inDim),
    logGap: inputs.logGap.subarray(s0 * n, s1 * n),
    rel: inputs.rel.subarray(s0 * n, s1 * n),
    count: inputs.count.subarray(s0, s1),
  };
}

/** Rows `slots` of a row-major [· × dim] array, copied into one array. */
function gatherFeatureRows(x: Float32Array, slots: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(slots.length * dim);
  for (let i = 0; i < slots.length; i++)
    out.set(x.subarray(slots[i] * dim, (slots[i] + 1) * dim), i * dim);
  return out;
}

/**
 * Window w's present targets (slot = (pair·W + w)·cap + c), their pair, and for each the index (into
 * the same list) of its negative: the target half the list away, weight 0 when it is the same pair's
 * or the same node. Null below two targets.
 */
export function futurePairs(
  f: FutureTargets,
  w: number,
  pairs: number,
): { slots: Int32Array; member: Int32Array; negative: Int32Array; negWeight: Float32Array } | null {
  const slots: number[] = [];
  const member: number[] = [];
  for (let i = 0; i < pairs; i++)
    for (let c = 0; c < f.count[i * f.windows + w]; c++) {
      slots.push((i * f.windows + w) * f.cap + c);
      member.push(i);
    }
  const n = slots.length;
  if (n < 2) return null;
  const shift = Math.max(1, Math.floor(n / 2));
  const negative = Int32Array.from({ length: n }, (_, j) => (j + shift) % n);
  const negWeight = Float32Array.from(negative, (m, j) =>
    member[m] === member[j] || f.ids[slots[m]] === f.ids[slots[j]] ? 0 : 1,
  );
  return { slots: Int32Array.from(slots), member: Int32Array.from(member), negative, negWeight };
}
