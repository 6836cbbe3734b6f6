// The temporal model's pair-recency term: a learned function of how long ago the member last
// interacted with this very target (its newest activity that is the target), or of its never having
// within the sequence, added to the target's score in full for every partner (docs/temporal.md).
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from './params.js';
import { RECENCY_FEATURES, targetRecencyScore } from './target-recency.js';

export const PAIR_RECENCY_PARAM = 'temporal.pairRecency.weight';

/** Zero: the term starts at 0, so the model starts from the scores without it. */
export function pairRecencySpecs(): ParamSpec[] {
  return [{ name: PAIR_RECENCY_PARAM, shape: [RECENCY_FEATURES, 1], init: { kind: 'zeros' } }];
}

/** One batch's sequences as the term reads them (TemporalInputs' arrays, N activities per pair). */
export interface PairActivities {
  /** [P × N] global id of each activity's node (-1 padding). */
  ids: Int32Array;
  /** [P × N] log1p(t − t_activity) at the pair's time t. */
  logGap: Float32Array;
  /** [P] activities present. */
  count: Int32Array;
}

/**
 * [entries] per entry k (pair seq[k], target global id targetIds[k]) the log gap of the pair's
 * newest activity whose node is the target — sequences hold the oldest first, so the last such —
 * or -1 when none of its activities is (recencyFeatures' "none").
 */
export function pairGaps(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
): Float32Array {
  const n = acts.ids.length / Math.max(1, acts.count.length);
  const out = new Float32Array(seq.length).fill(-1);
  for (let k = 0; k < seq.length; k++) {
    const base = seq[k] * n;
    for (let j = acts.count[seq[k]] - 1; j >= 0; j--)
      if (acts.ids[base + j] === targetIds[k]) {
        out[k] = acts.logGap[base + j];
        break;
      }
  }
  return out;
}

/** The term of each entry [entries]: scale · ⟨features(pair gap), w⟩ (see pairGaps). */
export function pairRecencyScore(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
  w: tf.Tensor,
  scale: number,
): tf.Tensor1D {
  return targetRecencyScore(pairGaps(acts, seq, targetIds), w, scale);
}
