// Grouping and slicing (LiGNN): a member's training edges are grouped, sliced at size G, and each
// slice queries the member once — all its edges share one query time, so the sampler dedups the member.
import { Xoshiro128Float } from '../../runtime/prng.js';
import type { JobSpec } from '../job-spec.js';
import type { SeedSource } from './seed-source.js';
import { batchSeed, makeEpochPlan, STREAM_EPOCH, type EpochPlan } from './epoch-plan.js';

/** Training edges cut into groups: group g is edges[start[g], start[g + 1]). */
export interface LinkGroups {
  /** Training edge ids, grouped by source and ordered by time inside each group. */
  readonly edges: Int32Array;
  /** numGroups + 1 offsets into `edges`. */
  readonly start: Int32Array;
  /**
   * Query time of every edge of the link source (length = all edges): a training edge carries its
   * group's earliest time, so no group member sees another's interaction; other edges keep theirs.
   */
  readonly times: Float64Array;
}

/**
 * Groups the training edges `train` (ids into src/times) by source, each source's edges in time
 * order, sliced into consecutive runs of at most `groupSize`. Deterministic: no randomness here.
 */
export function groupLinkEdges(
  src: Int32Array,
  times: Float64Array | undefined,
  train: Int32Array,
  groupSize: number,
): LinkGroups {
  const n = train.length;
  const edges = Int32Array.from(train);
  // Sort by (source, time, edge id): one pass of a stable comparator over edge ids.
  const t = times;
  edges.sort((a, b) => src[a] - src[b] || (t ? t[a] - t[b] : 0) || a - b);
  const starts: number[] = [];
  let i = 0;
  while (i < n) {
    const s = src[edges[i]];
    let j = i;
    while (j < n && src[edges[j]] === s) j++;
    for (let k = i; k < j; k += groupSize) starts.push(k);
    i = j;
  }
  starts.push(n);
  const start = Int32Array.from(starts);
  const out = t ? Float64Array.from(t) : new Float64Array(src.length);
  if (t) {
    for (let g = 0; g + 1 < start.length; g++) {
      const first = t[edges[start[g]]];
      for (let k = start[g]; k < start[g + 1]; k++) out[edges[k]] = first;
    }
  }
  return { edges, start, times: out };
}

/**
 * The epoch plan over groups: groups shuffled per (seed, epoch), their edges laid out contiguously,
 * cut into batches of `batchSize` edges (a group may straddle two batches and is then queried twice).
 */
export function groupedEpochPlan(
  groups: LinkGroups,
  batchSize: number,
  seed: number,
  epoch: number,
  maxBatches = 0,
): EpochPlan {
  const numGroups = groups.start.length - 1;
  const ids = new Int32Array(numGroups);
  for (let g = 0; g < numGroups; g++) ids[g] = g;
  new Xoshiro128Float(batchSeed(seed, epoch, 0), STREAM_EPOCH).shuffle(ids);
  const order = new Int32Array(groups.edges.length);
  let at = 0;
  for (let q = 0; q < numGroups; q++) {
    const g = ids[q];
    for (let k = groups.start[g]; k < groups.start[g + 1]; k++) order[at++] = groups.edges[k];
  }
  let numBatches = Math.ceil(order.length / batchSize);
  if (maxBatches > 0) numBatches = Math.min(numBatches, maxBatches);
  return { epoch, order, batchSize, numBatches };
}

/**
 * Member encodings per record of a link batch: distinct source rows over pairs. 1 without grouping
 * (every pair queries its member at its own time); about 1/G with groups of G.
 */
export function memberEncodingsPerRecord(srcLocal: Int32Array): number {
  if (srcLocal.length === 0) return 0;
  return distinctCount(srcLocal) / srcLocal.length;
}

/** Number of distinct values of a small local-id array. */
export function distinctCount(a: Int32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  const seen = new Uint8Array(max + 1);
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (seen[a[i]] === 0) {
      seen[a[i]] = 1;
      n++;
    }
  }
  return n;
}

/**
 * Splits a batch's pairs into `steps` slices for S gradient steps per group: a group is a run of
 * consecutive pairs with the same source row, and item i of a run of m goes to slice ⌊i·S/m⌋, so each
 * slice takes its share of every group. Returns pair positions per slice (empty slices dropped).
 */
export function groupSlices(srcLocal: Int32Array, steps: number): Int32Array[] {
  const n = srcLocal.length;
  if (steps <= 1) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return [all];
  }
  const slot = new Int32Array(n);
  const counts = new Int32Array(steps);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && srcLocal[j] === srcLocal[i]) j++;
    const m = j - i;
    for (let k = 0; k < m; k++) {
      const s = Math.floor((k * steps) / m);
      slot[i + k] = s;
      counts[s]++;
    }
    i = j;
  }
  const out: Int32Array[] = [];
  const fill = new Int32Array(steps);
  const lists = Array.from(counts, (c) => new Int32Array(c));
  for (let p = 0; p < n; p++) lists[slot[p]][fill[slot[p]]++] = p;
  for (const l of lists) if (l.length > 0) out.push(l);
  return out;
}

/** The link target restricted to the pairs at `positions` (and their negatives). */
export function sliceLinkTarget<
  T extends { src: Int32Array; dst: Int32Array; negDst?: Int32Array; numNegatives: number },
>(link: T, positions: Int32Array): T {
  const m = positions.length;
  const k = link.negDst ? link.numNegatives : 0;
  const src = new Int32Array(m);
  const dst = new Int32Array(m);
  const neg = k > 0 ? new Int32Array(m * k) : undefined;
  for (let i = 0; i < m; i++) {
    const p = positions[i];
    src[i] = link.src[p];
    dst[i] = link.dst[p];
    if (neg) for (let j = 0; j < k; j++) neg[i * k + j] = link.negDst![p * k + j];
  }
  return { ...link, src, dst, ...(neg ? { negDst: neg } : {}) };
}

/** Training edges grouped for grouping and slicing (link task with link.groupSize > 1), else undefined. */
export function linkGroupsOf(spec: JobSpec, source: SeedSource, train: Int32Array) {
  if (source.kind !== 'link' || spec.link.groupSize <= 1) return undefined;
  return groupLinkEdges(source.src, source.times, train, spec.link.groupSize);
}

/** The seed source with every grouped training edge at its group's query time (unchanged without groups). */
export function groupedSource(source: SeedSource, groups: LinkGroups | undefined): SeedSource {
  if (!groups || source.kind !== 'link') return source;
  return { ...source, times: groups.times };
}

/** Epoch `epoch`'s plan, over groups when the job groups its link edges; the same in every process. */
export function epochPlanOf(
  spec: JobSpec,
  train: Int32Array,
  groups: LinkGroups | undefined,
  epoch: number,
): EpochPlan {
  const bs = spec.sampling.batchSize;
  const max = spec.train.maxStepsPerEpoch;
  return groups
    ? groupedEpochPlan(groups, bs, spec.train.seed, epoch, max)
    : makeEpochPlan(train, bs, spec.train.seed, epoch, max);
}

/**
 * Parameter versions per synchronous round: link.stepsPerGroup when the job groups (each slice of
 * every group is one synchronous step, as the embedded trainer syncs after each slice), else 1.
 */
export function subRoundsOf(spec: JobSpec): number {
  if (spec.task !== 'link' || spec.link.groupSize <= 1) return 1;
  return Math.max(1, spec.link.stepsPerGroup);
}

/**
 * True for the sub-round that records a round's batches in the shards' ledger (the last). Every
 * epoch starts at a multiple of `subRounds`, so the rule needs no epoch boundaries.
 */
export function isLastSubRound(version: number, subRounds: number): boolean {
  return version % subRounds === subRounds - 1;
}
