// What a link evaluation knows besides the model: the interactions before the evaluated split (the
// baselines' evidence: destination popularity and "seen before" counts of each pair) and the split's
// own pairs (filtered ranking: a negative that is a true pair of the split is not counted). Built
// once per split from the seed source, the same wherever evaluation batches are made.
import { isColdSource } from './cold-start.js';
import { lowerBound } from '../../runtime/lower-bound.js';
import type { BatchFields } from '../batch/batch-record.js';
import type { SeedSource } from './seed-source.js';
import type { EvalSplit } from './eval-plan.js';

export interface LinkHistory {
  /** Node ids are below this; a pair (a, b) has the key a·numNodes + b. */
  numNodes: number;
  /** Per node, its count as a destination among the edges before the split. */
  popularity: Int32Array;
  /** Per node, its count as a source among the edges before the split (0: a cold source). */
  activity: Int32Array;
  /** Keys of the edges before the split, sorted (repeats kept: a pair's count is its run length). */
  before: Float64Array;
  /** Keys of the split's own pairs, sorted. */
  split: Float64Array;
}

/** Per evaluated pair: the baselines' scores of the positive and negatives, and the filter flags. */
export interface LinkEvalExtras {
  /** Destination popularity, [P] positives then [P·K] negatives. */
  evPop: Int32Array;
  /** Earlier interactions of the same (src, dst) pair, laid out like evPop. */
  evSeen: Int32Array;
  /** [P·K]: 1 where the negative is a true pair of the split (left out of the ranking). */
  evKnown: Int32Array;
  /** [P]: 1 where the positive's source is cold (plan/cold-start.ts). */
  evCold?: Int32Array;
}

/** How many times `key` occurs in the sorted keys. */
export function countKey(sorted: Float64Array, key: number): number {
  return lowerBound(sorted, key + 0.5) - lowerBound(sorted, key - 0.5);
}

/**
 * The history of `split`: for validation the training edges; for test the training and validation
 * edges (everything the model may have seen before the test period starts).
 */
export function linkHistory(
  source: SeedSource,
  sets: { val: Int32Array; test: Int32Array },
  split: EvalSplit,
): LinkHistory | undefined {
  if (source.kind !== 'link') return undefined;
  let numNodes = 1;
  for (const ids of [source.src, source.dst])
    for (const v of ids) if (v >= numNodes) numNodes = v + 1;
  const excluded = new Uint8Array(source.src.length);
  for (const e of sets.test) excluded[e] = 1;
  if (split === 'val') for (const e of sets.val) excluded[e] = 1;
  const popularity = new Int32Array(numNodes);
  const activity = new Int32Array(numNodes);
  const before: number[] = [];
  for (let e = 0; e < source.src.length; e++) {
    if (excluded[e]) continue;
    popularity[source.dst[e]]++;
    activity[source.src[e]]++;
    before.push(source.src[e] * numNodes + source.dst[e]);
  }
  const own = sets[split];
  const splitKeys = new Float64Array(own.length);
  for (let i = 0; i < own.length; i++)
    splitKeys[i] = source.src[own[i]] * numNodes + source.dst[own[i]];
  return {
    numNodes,
    popularity,
    activity,
    before: Float64Array.from(before).sort(),
    split: splitKeys.sort(),
  };
}

/** The baselines' scores and filter flags of an evaluation batch's pairs (global ids via seeds). */
export function linkEvalExtras(fields: BatchFields, h: LinkHistory): LinkEvalExtras {
  const seeds = fields.seeds;
  const src = fields.src as Int32Array;
  const dst = fields.dst as Int32Array;
  const neg = fields.neg as Int32Array;
  const p = src.length;
  const k = p > 0 ? neg.length / p : 0;
  const evPop = new Int32Array(p * (1 + k));
  const evSeen = new Int32Array(p * (1 + k));
  const evKnown = new Int32Array(p * k);
  const evCold = new Int32Array(p);
  const score = (slot: number, a: number, b: number) => {
    evPop[slot] = b < h.numNodes ? h.popularity[b] : 0;
    evSeen[slot] = a < h.numNodes && b < h.numNodes ? countKey(h.before, a * h.numNodes + b) : 0;
  };
  for (let i = 0; i < p; i++) {
    const a = seeds[src[i]];
    score(i, a, seeds[dst[i]]);
    evCold[i] = isColdSource(a < h.numNodes ? h.activity[a] : 0);
    for (let j = 0; j < k; j++) {
      const b = seeds[neg[i * k + j]];
      score(p + i * k + j, a, b);
      const known = a < h.numNodes && b < h.numNodes && countKey(h.split, a * h.numNodes + b) > 0;
      evKnown[i * k + j] = known ? 1 : 0;
    }
  }
  return { evPop, evSeen, evKnown, evCold };
}
