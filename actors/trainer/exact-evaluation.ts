// eval.ranking exact: every evaluated pair ranked among all candidates of the destination type, known
// positives of its source filtered out, for the model (scored on a pool of threads) and both baselines.
import {
  cosineRows,
  type CandidateRanking,
  type PairCounts,
  type PairDecoder,
  type PairRecencyTerm,
  type PointerTerm,
} from '../../kernels/metrics/candidate-ranking.js';
import { hitsOfRanks, meanOf, mrrOfRanks, recallOfHits } from '../../kernels/metrics/ranking.js';
import { COSINE_SCALE } from '../../kernels/nn/link-decoder.js';
import type { MemberRows } from '../../kernels/nn/graphsage.js';
import type { ParamMap } from '../../kernels/nn/params.js';
import { POINTER_SCALE } from '../../kernels/nn/temporal-model.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { availableCores, WorkerPool } from '../../runtime/pool.js';
import type { JobSpec } from '../job-spec.js';
import { isColdSource } from '../plan/cold-start.js';
import type { LinkHistory } from '../plan/link-history.js';
import { popularityCounts, seenBeforeCounts, type RankedPairs } from './exact-baselines.js';
import { seenStreamCounts } from './exact-seen-stream.js';
import { pairRecencyTerm, recencyTerms, type TargetGap } from './exact-recency.js';
import { RECENCY_PARAM } from '../../kernels/nn/target-recency.js';
import {
  PAIR_RANK_PARAM,
  PAIR_RECENCY_PARAM,
  type PairActivities,
} from '../../kernels/nn/pair-recency.js';
import type { RankTask } from './rank-task.js';

/**
 * The pairs of an evaluation as its batches scored them: ids and the source side's row — its graph
 * embedding, or the temporal model's member embeddings and pointer attention at the pair's time.
 */
export class EvaluatedPairs {
  readonly src: number[] = [];
  readonly dst: number[] = [];
  private readonly rows: Float32Array[] = [];
  /** Per pair its activities: global ids, the pointer's attention on each, their log gaps. */
  private readonly acts: PairActivityRows[] = [];
  /** Whether the rows are the temporal model's member embeddings (addMembers). */
  members = false;

  /** One batch: global ids via `seeds`, pair rows src/dst into them, `emb` [seeds × dim]. */
  add(seeds: Int32Array, src: Int32Array, dst: Int32Array, emb: Float32Array): void {
    const dim = emb.length / Math.max(1, seeds.length);
    for (let i = 0; i < src.length; i++) {
      this.src.push(seeds[src[i]]);
      this.dst.push(seeds[dst[i]]);
      this.rows.push(emb.slice(src[i] * dim, src[i] * dim + dim));
    }
  }

  /**
   * One batch of the temporal model: per pair (src/dst rows into `seeds`) its member embeddings
   * and pointer attention, and `acts` its activities: ids [pairs × N] and log gaps [pairs × N].
   */
  addMembers(
    seeds: Int32Array,
    src: Int32Array,
    dst: Int32Array,
    m: MemberRows,
    acts?: { ids: Int32Array; logGap?: Float32Array; partners?: PairActivities },
  ): void {
    this.members = true;
    const pairs = src.length;
    const width = m.embeddings.length / Math.max(1, pairs);
    const n = acts ? acts.ids.length / Math.max(1, pairs) : 0;
    const reach = acts?.partners ? acts.partners.ids.length / Math.max(1, pairs) : 0;
    const cut = <T extends Float32Array | Int32Array>(a: T, i: number, len = n) =>
      a.slice(i * len, (i + 1) * len) as T;
    const partners = acts?.partners;
    for (let i = 0; i < pairs; i++) {
      this.src.push(seeds[src[i]]);
      this.dst.push(seeds[dst[i]]);
      this.rows.push(m.embeddings.slice(i * width, (i + 1) * width));
      if (acts)
        this.acts.push({
          ids: cut(acts.ids, i),
          ...(m.pointer ? { weight: cut(m.pointer, i) } : {}),
          ...(acts.logGap ? { logGap: cut(acts.logGap, i) } : {}),
          ...(partners
            ? {
                partners: {
                  ids: cut(partners.ids, i, reach),
                  logGap: cut(partners.logGap, i, reach),
                },
              }
            : {}),
        });
    }
  }

  /** The source row of pair i. */
  row(i: number): Float32Array {
    return this.rows[i];
  }

  /** Pair i's activities (with the pointer, its attention on them); undefined without ids. */
  activities(i: number): PairActivityRows | undefined {
    return this.acts[i];
  }
}

/** One pair's activities as the exact ranking reads them. */
export interface PairActivityRows {
  /** [N] global ids (-1 padding). */
  ids: Int32Array;
  /** [N] the pointer's attention on each (with the pointer term). */
  weight?: Float32Array;
  /** [N] log1p(t − t_activity) at the pair's time (the pair-recency term reads it). */
  logGap?: Float32Array;
  /**
   * With model.temporal.pairWindow M: the pair's M most recent distinct partners before its time
   * ([M] ids, -1 padding, and their log gaps), where the pair-recency term reads instead.
   */
  partners?: { ids: Int32Array; logGap: Float32Array };
}

/** What the exact ranking of one split reads. */
export interface ExactRankingInput {
  spec: JobSpec;
  /** The link source's pairs (every split's) and their times. */
  src: Int32Array;
  dst: Int32Array;
  times?: Float64Array;
  /** The pairs ranked, with their sources' embeddings. */
  pairs: EvaluatedPairs;
  /**
   * Each ranked pair's own time (its edge's), in `pairs` order; without it a pair takes the earliest
   * time of its (source, destination) among the split's edges (`rowTimes`).
   */
  pairTimes?: Float64Array;
  /** Every edge id of the split (its first time bounds the candidates' neighbourhoods). */
  split: Int32Array;
  /** Candidates: global ids [lo, hi) (the destination type). */
  candidates: [number, number];
  history: LinkHistory;
  /** Decoder parameters (mlp), the pointer's gate (temporal model). */
  params: ParamMap | undefined;
  /** Embedding rows of distinct node ids, their neighbourhoods drawn before `time`. */
  embed(ids: Int32Array, time: number): Promise<Float32Array>;
  /**
   * With the temporal model's target-recency term: a target's log gap as training reads it, so
   * every candidate gains the term at its pair's own time.
   */
  targetGap?: TargetGap;
}

/**
 * The pairs as rows of the ranking, ordered by source (`order`: pair index of each row), each with
 * every known destination of its source among the candidates (all splits' edges).
 */
export function rankedPairs(input: {
  src: Int32Array;
  dst: Int32Array;
  pairSrc: readonly number[];
  pairDst: readonly number[];
  candidates: [number, number];
}): RankedPairs & { order: Int32Array } {
  const { src, dst, pairSrc, pairDst } = input;
  const [lo, hi] = input.candidates;
  const n = pairSrc.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => pairSrc[a] - pairSrc[b] || a - b,
  );
  const known = new Map<number, Set<number>>();
  for (const s of pairSrc) known.set(s, new Set<number>());
  for (let e = 0; e < src.length; e++) {
    const k = known.get(src[e]);
    if (k && dst[e] >= lo && dst[e] < hi) k.add(dst[e] - lo);
  }
  const sorted = new Map<number, Int32Array>();
  for (const [s, k] of known) sorted.set(s, Int32Array.from(k).sort());
  const sources = Int32Array.from(order, (i) => pairSrc[i]);
  const knownPtr = new Int32Array(n + 1);
  sources.forEach((s, r) => (knownPtr[r + 1] = knownPtr[r] + sorted.get(s)!.length));
  const knownIdx = new Int32Array(knownPtr[n]);
  sources.forEach((s, r) => knownIdx.set(sorted.get(s)!, knownPtr[r]));
  return {
    lo,
    numCandidates: hi - lo,
    sources,
    pairPtr: Int32Array.from({ length: n + 1 }, (_, r) => r),
    positive: Int32Array.from(order, (i) => pairDst[i] - lo),
    knownPtr,
    knownIdx,
    order,
  };
}

/** Metrics of one scorer from its counts: MRR, AUC, hits@K and recall@K for each cutoff. */
export function metricsOfCounts(
  c: PairCounts,
  sourceOfPair: Int32Array,
  cutoffs: readonly number[],
  prefix: string,
): Record<string, number> {
  const n = c.above.length;
  const best = new Int32Array(n);
  const worst = new Int32Array(n);
  const auc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    best[i] = c.above[i] + 1;
    worst[i] = c.above[i] + c.level[i] + 1;
    const neg = c.negatives[i];
    auc[i] = neg > 0 ? (neg - c.above[i] - c.level[i] / 2) / neg : 1;
  }
  const out: Record<string, number> = {
    [`${prefix}mrr`]: mrrOfRanks(best, worst),
    [`${prefix}auc`]: meanOf(auc),
  };
  for (const k of cutoffs) {
    const hit = hitsOfRanks(best, worst, k);
    out[`${prefix}hits@${k}`] = meanOf(hit);
    out[`${prefix}recall@${k}`] = recallOfHits(hit, sourceOfPair);
  }
  return out;
}

/**
 * The model's exact metrics on the rows whose source is cold (exact_cold_…, plan/cold-start.ts: the
 * sampled ranking's cold slice), and their count; nothing when there are none.
 */
function coldMetrics(
  c: PairCounts,
  sources: Int32Array,
  history: LinkHistory,
  cutoffs: readonly number[],
): Record<string, number> {
  const rows: number[] = [];
  sources.forEach((s, r) => {
    if (isColdSource(s < history.numNodes ? history.activity[s] : 0)) rows.push(r);
  });
  if (rows.length === 0) return {};
  const pick = (a: Int32Array) => Int32Array.from(rows, (r) => a[r]);
  const cold = { above: pick(c.above), level: pick(c.level), negatives: pick(c.negatives) };
  return {
    ...metricsOfCounts(cold, pick(sources), cutoffs, 'exact_cold_'),
    exact_cold_count: rows.length,
  };
}

/** The cutoffs reported: the job's, with 10 always among them. */
export function cutoffsOf(spec: JobSpec): number[] {
  return [...new Set([10, ...spec.eval.cutoffs])].sort((a, b) => a - b);
}

/** A typed array copied into shared memory, so the pool's threads read it without a copy. */
function shared<T extends Float32Array | Int32Array>(a: T): T {
  const ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new ctor(new SharedArrayBuffer(Math.max(4, a.byteLength)));
  out.set(a);
  return out.subarray(0, a.length) as T;
}

function decoderOf(spec: JobSpec, params: ParamMap | undefined, members: boolean): PairDecoder {
  if (members)
    return {
      kind: 'members',
      heads: spec.model.temporal.embeddings,
      combine: spec.model.temporal.score,
    };
  if (spec.model.decoder !== 'mlp') return { kind: 'dot' };
  const get = (name: string) => paramOf(params, name);
  const b0 = get('decoder.fc0.bias');
  return {
    kind: 'mlp',
    hidden: b0.length,
    w0: get('decoder.fc0.weight'),
    b0,
    w1: get('decoder.fc1.weight'),
    b1: get('decoder.fc1.bias')[0],
  };
}

function paramOf(params: ParamMap | undefined, name: string): Float32Array {
  const v = params?.get(name);
  if (!v) throw new Error(`exact ranking: parameter ${name} not set`);
  return v;
}

/**
 * The activities of the ranking's rows `rows` (pair order `order`), row by row: each as a candidate
 * index (-1 outside the destination type) and the activities themselves; undefined without them.
 */
function rowActivities(
  input: Pick<ExactRankingInput, 'pairs' | 'candidates'>,
  order: Int32Array,
  rows: Int32Array,
):
  | { n: number; candidate: Int32Array; acts: PairActivityRows[]; candidates: [number, number] }
  | undefined {
  if (rows.length === 0 || !input.pairs.activities(order[rows[0]])) return undefined;
  const acts = Array.from(rows, (r) => input.pairs.activities(order[r])!);
  const n = acts[0].ids.length;
  const ids = concatRows(
    acts.map((a) => a.ids),
    n,
  );
  return {
    n,
    candidate: candidateIndices(ids, input.candidates),
    acts,
    candidates: input.candidates,
  };
}

/** Lists of n values each, one after another in one array. */
function concatRows<T extends Int32Array | Float32Array>(lists: T[], n: number): T {
  const out = (
    lists[0] instanceof Int32Array
      ? new Int32Array(lists.length * n)
      : new Float32Array(lists.length * n)
  ) as T;
  lists.forEach((l, i) => out.set(l, i * n));
  return out;
}

/** Global ids as candidate indices, in one shared array (-1 outside [lo, hi), padding included). */
function candidateIndices(ids: Int32Array, [lo, hi]: [number, number]): Int32Array {
  return shared(Int32Array.from(ids, (id) => (id >= lo && id < hi ? id - lo : -1)));
}

/** Rows `i * n ..` of one field of every row's activities, in one shared array. */
function activityField(
  rows: { n: number; acts: PairActivityRows[] },
  field: 'weight' | 'logGap',
): Float32Array {
  const lists = rows.acts.map((a) => {
    const v = a[field];
    if (!v) throw new Error(`exact ranking: a pair's activities lack ${field}`);
    return v;
  });
  return shared(concatRows(lists, rows.n));
}

/** The pointer term of the rows' activities; undefined when the pairs carry no attention. */
function pointerTerm(
  params: ParamMap | undefined,
  rows: ReturnType<typeof rowActivities>,
): PointerTerm | undefined {
  if (!rows || !rows.acts[0].weight) return undefined;
  const gate = paramOf(params, 'temporal.pointer.gate')[0];
  const weight = activityField(rows, 'weight');
  return { length: rows.n, candidate: rows.candidate, weight, scale: POINTER_SCALE * gate };
}

/**
 * The pair-recency term of the rows: over their activities, or with model.temporal.pairWindow over
 * their partner lists (pair-partners.ts); undefined when the model has none.
 */
function pairRecencyOfRows(
  spec: JobSpec,
  params: ParamMap | undefined,
  rows: ReturnType<typeof rowActivities>,
): PairRecencyTerm | undefined {
  const t = spec.model.temporal;
  if (!t.enabled || !t.pairRecency) return undefined;
  if (!rows) throw new Error("exact ranking: the pair-recency term needs the pairs' activities");
  const w = paramOf(params, PAIR_RECENCY_PARAM);
  let lists: { ids: Int32Array; logGap?: Float32Array }[] = rows.acts;
  let n = rows.n;
  if (t.pairWindow > 0) {
    if (rows.acts.some((a) => a.partners === undefined))
      throw new Error("exact ranking: model.temporal.pairWindow needs the pairs' partner lists");
    lists = rows.acts.map((a) => a.partners!);
    n = t.pairWindow;
  }
  const ids = concatRows(
    lists.map((l) => l.ids),
    n,
  );
  const gap = concatRows(
    lists.map((l) => {
      if (!l.logGap) throw new Error("exact ranking: a pair's activities lack logGap");
      return l.logGap;
    }),
    n,
  );
  // The rank counts every node of a list (candidates or not), by global id, as training does.
  const rank = t.pairRank ? { ids, w: paramOf(params, PAIR_RANK_PARAM) } : undefined;
  const term = pairRecencyTerm(n, candidateIndices(ids, rows.candidates), gap, w, rank);
  return { ...term, score: shared(term.score) };
}

/** Threads of the ranking pool: eval.workers, or every core this process may use. */
export function rankingThreads(spec: JobSpec): number {
  if (spec.eval.workers > 0) return spec.eval.workers;
  return availableCores();
}

/** Embeddings of every candidate, their neighbourhoods drawn before `time`, in batches. */
async function embedCandidates(input: ExactRankingInput, time: number): Promise<Float32Array> {
  const [lo, hi] = input.candidates;
  const dim = input.spec.model.hidden;
  const batch = input.spec.eval.batchSize;
  const rows = new Float32Array((hi - lo) * dim);
  for (let b = lo; b < hi; b += batch) {
    const ids = Int32Array.from({ length: Math.min(hi, b + batch) - b }, (_, i) => b + i);
    rows.set(await input.embed(ids, time), (b - lo) * dim);
  }
  return rows;
}

/** Candidate rows the automatic eval.candidateSnapshots embeds at most (all snapshots together). */
export const SNAPSHOT_ROWS = 1 << 18;

/**
 * The time of each ranked row: the earliest time of its pair among the split's edges (a pair the
 * split holds twice never sees its own later edge); the split's first time for a pair it lacks;
 * Infinity without times.
 */
export function rowTimes(
  input: ExactRankingInput,
  sources: Int32Array,
  positive: Int32Array,
): Float64Array {
  const { times } = input;
  if (!times) return new Float64Array(sources.length).fill(Infinity);
  const lo = input.candidates[0];
  const first = new Map<string, number>();
  let start = Infinity;
  for (const e of input.split) {
    const key = `${input.src[e]}:${input.dst[e]}`;
    first.set(key, Math.min(first.get(key) ?? Infinity, times[e]));
    start = Math.min(start, times[e]);
  }
  return Float64Array.from(sources, (s, r) => first.get(`${s}:${positive[r] + lo}`) ?? start);
}

const SEEN_STREAM = 'seen_stream_exact_';

/**
 * Each evaluated pair's own time when the pairs are the evaluation subset's edges in order (as the
 * evaluation batches hand them over); undefined without times or where they are not.
 */
export function pairTimesOf(
  source: { src: Int32Array; dst: Int32Array; times?: Float64Array },
  subset: Int32Array,
  pairs: Pick<EvaluatedPairs, 'src' | 'dst'>,
): Float64Array | undefined {
  const { times } = source;
  if (!times || subset.length !== pairs.src.length) return undefined;
  for (let i = 0; i < subset.length; i++)
    if (source.src[subset[i]] !== pairs.src[i] || source.dst[subset[i]] !== pairs.dst[i])
      return undefined;
  return Float64Array.from(subset, (e) => times[e]);
}

/** Each ranked row's own time: `pairTimes` in row order, else the earliest of its pair (rowTimes). */
function ownTimes(
  input: Pick<ExactRankingInput, 'pairTimes'>,
  order: Int32Array,
  earliest: Float64Array,
): Float64Array {
  const given = input.pairTimes;
  return given ? Float64Array.from(order, (i) => given[i]) : earliest;
}

/** One group of ranked rows and the time its candidates are embedded at (its earliest row's). */
export interface Snapshot {
  time: number;
  rows: Int32Array;
}

/**
 * The rows in time order cut into groups of about equal size: eval.candidateSnapshots of them (0:
 * as many as keep groups × candidates within SNAPSHOT_ROWS), never more than distinct row times.
 */
export function snapshotsOf(
  times: Float64Array,
  numCandidates: number,
  wanted: number,
): Snapshot[] {
  const n = times.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => times[a] - times[b] || a - b,
  );
  const auto = Math.max(1, Math.floor(SNAPSHOT_ROWS / Math.max(1, numCandidates)));
  const count = Math.max(1, Math.min(wanted > 0 ? wanted : auto, new Set(times).size, n));
  const out: Snapshot[] = [];
  for (let k = 0; k < count; k++) {
    const rows = order.subarray(Math.floor((k * n) / count), Math.floor(((k + 1) * n) / count));
    if (rows.length > 0) out.push({ time: times[rows[0]], rows });
  }
  return out;
}

/** The ranking's rows `rows` alone (one pair each), with their known destinations. */
function rowsOfRanking(
  pairs: RankedPairs,
  rows: Int32Array,
): Pick<CandidateRanking, 'pairPtr' | 'positive' | 'knownPtr' | 'knownIdx'> {
  const knownPtr = new Int32Array(rows.length + 1);
  rows.forEach(
    (r, i) => (knownPtr[i + 1] = knownPtr[i] + pairs.knownPtr[r + 1] - pairs.knownPtr[r]),
  );
  const knownIdx = new Int32Array(knownPtr[rows.length]);
  rows.forEach((r, i) =>
    knownIdx.set(pairs.knownIdx.subarray(pairs.knownPtr[r], pairs.knownPtr[r + 1]), knownPtr[i]),
  );
  return {
    pairPtr: Int32Array.from({ length: rows.length + 1 }, (_, i) => i),
    positive: Int32Array.from(rows, (r) => pairs.positive[r]),
    knownPtr,
    knownIdx,
  };
}

/** Source ranges of about equal work, several per thread so a slow range does not hold the rest. */
function sourceRanges(pairPtr: Int32Array, parts: number): [number, number][] {
  const numSources = pairPtr.length - 1;
  const total = pairPtr[numSources];
  const ranges: [number, number][] = [];
  let s0 = 0;
  for (let r = 1; r <= parts && s0 < numSources; r++) {
    let s1 = s0 + 1;
    while (s1 < numSources && pairPtr[s1] < (total * r) / parts) s1++;
    if (r === parts) s1 = numSources;
    ranges.push([s0, s1]);
    s0 = s1;
  }
  return ranges;
}

/** The model's counts of one ranking, its sources split into ranges scored on the pool's threads. */
async function modelCounts(
  job: CandidateRanking,
  pool: WorkerPool<RankTask, PairCounts>,
  threads: number,
): Promise<PairCounts> {
  const ranges = sourceRanges(job.pairPtr, threads * 4);
  const parts = await Promise.all(ranges.map(([s0, s1]) => pool.run({ job, s0, s1 })));
  const n = job.positive.length;
  const out = { above: new Int32Array(n), level: new Int32Array(n), negatives: new Int32Array(n) };
  ranges.forEach(([s0], i) => {
    const at = job.pairPtr[s0];
    out.above.set(parts[i].above, at);
    out.level.set(parts[i].level, at);
    out.negatives.set(parts[i].negatives, at);
  });
  return out;
}

/**
 * Rows [n × dim] as the decoder reads them (unit length, scaled, for the cosine decoder); member
 * rows [n × H·dim] normalise each embedding alone, as the temporal model's cosine scores do.
 */
export function decoderRows(spec: JobSpec, rows: Float32Array): Float32Array {
  const dim = spec.model.hidden;
  return shared(spec.model.decoder === 'cosine' ? cosineRows(rows, dim, COSINE_SCALE) : rows);
}

/**
 * The ranking job of rows `rows` against `candidateRows` (one snapshot's, as the decoder reads them:
 * `decoderRows`).
 */
export function snapshotJob(
  input: Pick<ExactRankingInput, 'spec' | 'pairs' | 'params' | 'candidates'>,
  pairs: RankedPairs & { order: Int32Array },
  rows: Int32Array,
  candidateRows: Float32Array,
  recency?: Float32Array,
): CandidateRanking {
  const { spec } = input;
  const width = rows.length > 0 ? input.pairs.row(pairs.order[rows[0]]).length : 0;
  const src = new Float32Array(rows.length * width);
  rows.forEach((r, i) => src.set(input.pairs.row(pairs.order[r]), i * width));
  const part = rowsOfRanking(pairs, rows);
  const acts = rowActivities(input, pairs.order, rows);
  const pointer = pointerTerm(input.params, acts);
  const pairRecency = pairRecencyOfRows(spec, input.params, acts);
  return {
    dim: spec.model.hidden,
    decoder: decoderOf(spec, input.params, input.pairs.members),
    sourceRows: decoderRows(spec, src),
    candidateRows,
    ...(pointer ? { pointer } : {}),
    ...(pairRecency ? { pairRecency } : {}),
    ...(recency ? { recency: shared(recency) } : {}),
    pairPtr: shared(part.pairPtr),
    positive: shared(part.positive),
    knownPtr: shared(part.knownPtr),
    knownIdx: shared(part.knownIdx),
    chunk: spec.eval.candidateChunk,
  };
}

/**
 * The model's counts of every row: each snapshot's rows ranked against the candidates embedded at
 * its time, on one pool of threads.
 */
async function snapshotCounts(
  input: ExactRankingInput,
  pairs: RankedPairs & { order: Int32Array },
  snapshots: Snapshot[],
  own: Float64Array,
): Promise<PairCounts> {
  const { spec } = input;
  const n = pairs.positive.length;
  const out = { above: new Int32Array(n), level: new Int32Array(n), negatives: new Int32Array(n) };
  const threads = rankingThreads(spec);
  const pool = new WorkerPool<RankTask, PairCounts>({
    module: moduleUrl('./rank-task.js', import.meta.url),
    threads,
    name: 'ranking',
  });
  try {
    for (const snap of snapshots) {
      const candidates = decoderRows(spec, await embedCandidates(input, snap.time));
      const recency = input.targetGap
        ? recencyTerms(
            input.targetGap,
            paramOf(input.params, RECENCY_PARAM),
            input.candidates,
            Float64Array.from(snap.rows, (r) => own[r]),
          )
        : undefined;
      const job = snapshotJob(input, pairs, snap.rows, candidates, recency);
      const c = await modelCounts(job, pool, threads);
      snap.rows.forEach((r, i) => {
        out.above[r] = c.above[i];
        out.level[r] = c.level[i];
        out.negatives[r] = c.negatives[i];
      });
    }
    return out;
  } finally {
    await pool.close();
  }
}

/**
 * Exact, filtered metrics of a split (exact_*), and the baselines' on the same pairs: popularity_exact_*
 * and seen_before_exact_* from the history before the split, seen_stream_exact_* from the whole log
 * up to each pair's own time (exact-seen-stream.ts). Sources keep the embeddings their pairs were scored
 * with (neighbourhoods before each pair's time). Candidates are embedded at eval.candidateSnapshots
 * times: the pairs in time order are cut into groups, and each group is ranked against candidates
 * drawn before its first pair, so no pair sees its own interaction or a later one, and a candidate
 * that appears during the split is ranked with the history it has by then, as in the sampled ranking.
 */
export async function exactRanking(input: ExactRankingInput): Promise<Record<string, number>> {
  const { spec } = input;
  const pairs = rankedPairs({ ...input, pairSrc: input.pairs.src, pairDst: input.pairs.dst });
  const n = pairs.positive.length;
  if (n === 0) return { exact_count: 0 };
  const times = rowTimes(input, pairs.sources, pairs.positive);
  const snapshots = snapshotsOf(times, pairs.numCandidates, spec.eval.candidateSnapshots);
  const own = ownTimes(input, pairs.order, times);
  const model = await snapshotCounts(input, pairs, snapshots, own);
  const cutoffs = cutoffsOf(spec);
  const metrics = (c: PairCounts, prefix: string) =>
    metricsOfCounts(c, pairs.sources, cutoffs, prefix);
  const log = input.times ? { src: input.src, dst: input.dst, times: input.times } : undefined;
  return {
    ...metrics(model, 'exact_'),
    ...coldMetrics(model, pairs.sources, input.history, cutoffs),
    ...metrics(popularityCounts(pairs, input.history), 'popularity_exact_'),
    ...metrics(seenBeforeCounts(pairs, input.history), 'seen_before_exact_'),
    ...(log ? metrics(seenStreamCounts(pairs, log, own), SEEN_STREAM) : {}),
    exact_candidates: pairs.numCandidates,
    // Known destinations other than the pair's own, left out of its ranking.
    exact_filtered: pairs.knownIdx.length - n,
    exact_count: n,
    exact_snapshots: snapshots.length,
  };
}
