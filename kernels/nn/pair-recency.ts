// The temporal model's pair-recency term: a learned function of how long ago the member last
// interacted with this very target (its newest activity that is the target), or of its never having
// within the sequence, added to the target's score in full for every partner (docs/temporal.md).
// With model.temporal.pairRank it adds a learned weight of the target's recency rank among the
// member's partners: how many other partners it interacted with since (0 for the newest).
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from './params.js';
import { RECENCY_FEATURES, targetRecencyScore } from './target-recency.js';

export const PAIR_RECENCY_PARAM = 'temporal.pairRecency.weight';
export const PAIR_RANK_PARAM = 'temporal.pairRecency.rankWeight';

/** Rank buckets: 0, 1, 2, 3, 4–7, 8–15, 16–31, 32 and above, and "none" (not a partner). */
export const RANK_FEATURES = 9;

/** Zero: the term starts at 0, so the model starts from the scores without it. */
export function pairRecencySpecs(rank = false): ParamSpec[] {
  const specs: ParamSpec[] = [
    { name: PAIR_RECENCY_PARAM, shape: [RECENCY_FEATURES, 1], init: { kind: 'zeros' } },
  ];
  if (rank)
    specs.push({ name: PAIR_RANK_PARAM, shape: [RANK_FEATURES, 1], init: { kind: 'zeros' } });
  return specs;
}

/** The bucket of a recency rank (negative: none). */
export function rankBucket(rank: number): number {
  if (rank < 0) return RANK_FEATURES - 1;
  if (rank < 4) return rank;
  return Math.min(7, 2 + Math.floor(Math.log2(rank)));
}

/**
 * Per entry of one member's list of n activities or partners (oldest first, -1 padding): the
 * entry's recency rank — how many distinct other nodes come after it — where it is its node's
 * newest entry, and -1 on older repeats (a reader takes a node's newest entry).
 */
export function entryRanks(ids: Int32Array, n: number): Int32Array {
  const out = new Int32Array(ids.length).fill(-1);
  const seen = new Set<number>();
  for (let base = 0; base < ids.length; base += n) {
    seen.clear();
    for (let k = base + n - 1; k >= base; k--) {
      const id = ids[k];
      if (id < 0 || seen.has(id)) continue;
      out[k] = seen.size;
      seen.add(id);
    }
  }
  return out;
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
 * Per entry k (pair seq[k], target global id targetIds[k]), the pair's newest activity whose node is
 * the target — sequences hold the oldest first, so the last such: its log gap, and its recency rank
 * (distinct other nodes after it); -1 for both when none of its activities is the target.
 */
function newestOfTargets(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
): { gap: Float32Array; rank: Int32Array } {
  const n = acts.ids.length / Math.max(1, acts.count.length);
  const gap = new Float32Array(seq.length).fill(-1);
  const rank = new Int32Array(seq.length).fill(-1);
  const seen = new Set<number>();
  for (let k = 0; k < seq.length; k++) {
    const base = seq[k] * n;
    seen.clear();
    for (let j = acts.count[seq[k]] - 1; j >= 0; j--) {
      const id = acts.ids[base + j];
      if (id === targetIds[k]) {
        gap[k] = acts.logGap[base + j];
        rank[k] = seen.size;
        break;
      }
      if (id >= 0) seen.add(id);
    }
  }
  return { gap, rank };
}

/** [entries] each target's log gap of its pair's newest activity that is it, or -1 ("none"). */
export function pairGaps(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
): Float32Array {
  return newestOfTargets(acts, seq, targetIds).gap;
}

/** [entries] each target's recency rank among its pair's activities, or -1 (see newestOfTargets). */
export function pairRanks(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
): Int32Array {
  return newestOfTargets(acts, seq, targetIds).rank;
}

/** [n × RANK_FEATURES] one-hot rank buckets (rankBucket). */
export function rankFeatures(ranks: Int32Array): Float32Array {
  const out = new Float32Array(ranks.length * RANK_FEATURES);
  ranks.forEach((r, i) => (out[i * RANK_FEATURES + rankBucket(r)] = 1));
  return out;
}

/**
 * The term of each entry [entries]: scale · ⟨features(pair gap), w⟩ (see pairGaps), plus with
 * `rankW` scale · ⟨rank bucket, rankW⟩ (see pairRanks).
 */
export function pairRecencyScore(
  acts: PairActivities,
  seq: Int32Array,
  targetIds: ArrayLike<number>,
  w: tf.Tensor,
  scale: number,
  rankW?: tf.Tensor,
): tf.Tensor1D {
  // One scan finds each target's newest activity for both its gap and its rank.
  const newest = newestOfTargets(acts, seq, targetIds);
  const gap = targetRecencyScore(newest.gap, w, scale);
  if (!rankW) return gap;
  const n = seq.length;
  const feats = tf.tensor2d(rankFeatures(newest.rank), [n, RANK_FEATURES]);
  const rank = tf.reshape(tf.mul(tf.matMul(feats, rankW as tf.Tensor2D), scale), [n]);
  return tf.add(gap, rank) as tf.Tensor1D;
}
