// Builds node and link batches from hash partitions: frontier rows this sampler owns are read in place,
// the rest asked of their owners (one batched request per owner per round, all owners at once). Same
// records as BatchProducer over the whole graph, bit for bit: the random draws are made here.
import { TimeGroups } from '../../kernels/sampling/time-groups.js';
import { SET_MIN_DIM } from '../../graph-store/feature-gather.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { partOf } from '../../graph-store/partition-rule.js';
import { firstLayerInput } from '../../kernels/gather/first-layer-input.js';
import { FanoutBudget, maxBudget, meanOfSizeSums } from '../../kernels/sampling/fanout-budget.js';
import { KeyedNodeMap } from '../../kernels/sampling/keyed-node-map.js';
import { NEGATIVE_LANE } from '../../kernels/sampling/neighbor-sampler.js';
import { Xoshiro128 } from '../../runtime/prng.js';
import { firstAtOrAfter, firstUnsortedRow } from '../../kernels/sampling/temporal-window.js';
import { UniformPicker } from '../../kernels/sampling/uniform-pick.js';
import { WeightedPicker } from '../../kernels/sampling/weighted-pick.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { BatchShape } from '../../runtime/shm-queue-batch.js';
import { setBatchTimings, writeBatchHeader, type BatchFields } from '../batch/batch-record.js';
import { type BatchRequest, type ProducerConfig } from '../batch/batch-producer.js';
import type { ExpandReply, ExpandRequest, RowsReply, RowsRequest } from './partition-protocol.js';
import { fusedMeanFromSources } from './partition-first-layer.js';
import type { PartitionOwner } from './partition-sampler-owner.js';

/** How a builder reaches the other partitions' owners (NATS in a job, direct calls in tests). */
export interface PartitionPeers {
  rows(part: number, req: RowsRequest): Promise<RowsReply>;
  expand(part: number, req: ExpandRequest): Promise<ExpandReply>;
}

/** What crossed to other partitions, summed over every batch built so far. */
export interface PartitionTraffic {
  /** `expand` requests sent (one per remote owner per hop). */
  expandRequests: number;
  /** Frontier nodes whose neighbours another partition read. */
  remoteNodesExpanded: number;
  /** `rows` requests sent (degrees, features, labels, row weights). */
  rowRequests: number;
  /** Feature rows received from other partitions. */
  remoteFeatureRows: number;
  /** Bytes of those feature rows. */
  remoteFeatureBytes: number;
  /** Edge weights received for weighted draws (whole rows longer than the fanout). */
  remoteRowWeights: number;
  /** Bytes of every typed array sent and received (requests and replies). */
  wireBytes: number;
}

export function emptyTraffic(): PartitionTraffic {
  return {
    expandRequests: 0,
    remoteNodesExpanded: 0,
    rowRequests: 0,
    remoteFeatureRows: 0,
    remoteFeatureBytes: 0,
    remoteRowWeights: 0,
    wireBytes: 0,
  };
}

/**
 * One float32 row from src to dst: TypedArray.set (a memcpy) from SET_MIN_DIM values on, where it beats
 * an element loop despite the view it creates (feature-gather.ts), an element loop below.
 */
function copyRow(src: Float32Array, from: number, dst: Float32Array, to: number, d: number): void {
  if (d >= SET_MIN_DIM) {
    dst.set(src.subarray(from, from + d), to);
    return;
  }
  for (let c = 0; c < d; c++) dst[to + c] = src[from + c];
}

const bytesOf = (...a: (ArrayBufferView | undefined)[]) =>
  a.reduce((t, v) => t + (v?.byteLength ?? 0), 0);

/**
 * Check a producer config can be served from partitions; errors name the job-spec field. PPR pushes
 * residuals over the graph until they fall under epsilon: across owners that is one round trip per
 * push wave and node, so it stays with whole-graph samplers.
 */
export function checkPartitionedConfig(config: ProducerConfig): void {
  const s = config.sampler.strategy;
  if (s !== 'uniform' && s !== 'weighted' && s !== 'temporal')
    throw new ConfigError(
      `partition-owning samplers sample 'uniform', 'weighted' and 'temporal' (link tasks), not '${s}'`,
      { field: 'sampling.strategy' },
    );
}

/**
 * One builder per partition-owning sampler. Reproduces NeighborSampler's draws exactly: the PRNG is
 * reseeded with (sampler seed, batch seed) and steps through the frontier rows in order, drawing over
 * each row's degree (uniform), time window (temporal) or weights (weighted), which the owners report;
 * owners only read the chosen offsets. Local ids are assigned in first-seen order of (node, time
 * group), as the whole-graph sampler assigns them.
 */
export class PartitionBatchBuilder {
  readonly traffic: PartitionTraffic = emptyTraffic();
  private fanouts: number[];
  private readonly seed: number;
  private readonly rng: Xoshiro128;
  private readonly picker = new UniformPicker();
  private readonly map = new KeyedNodeMap();
  private readonly dim: number;
  private readonly scratch = { buf: new Float32Array(0) };
  private readonly part: SharedGraph;
  private readonly numNodesGlobal: number;
  private readonly temporal: boolean;
  private readonly pickLast: boolean;
  private readonly weighted: boolean;
  /** Per-node budgets (sampling.budget): row scores come from the owners, c is fitted here. */
  private readonly budget: FanoutBudget | null;
  /** The whole graph's mean budget size, asked of every part before the first batch. */
  private budgetMean?: Promise<number>;

  // Per-node state of the batch being built, grown and reused.
  private n = 0;
  private cap = 0;
  private nodes = new Int32Array(0);
  /** Time group of each local node (0 without times). */
  private group = new Int32Array(0);
  /** Owning part of each local node, and its row in this part (-1 when another part owns it). */
  private partOfNode = new Int32Array(0);
  private lrow = new Int32Array(0);
  private degree = new Int32Array(0);
  private take = new Int32Array(0);
  private wStart = new Int32Array(0);
  private rowPtr = new Int32Array(1);
  private order = new Int32Array(0);
  private partStart: Int32Array;
  private partFill: Int32Array;
  // Per-edge state.
  private edges = new Int32Array(4096);
  private pos = new Float64Array(4096);
  private edgeW = new Float32Array(0);
  // Rows, times and weights.
  private x = new Float32Array(0);
  private seedLabels = new Int32Array(0);
  private iota = new Int32Array(0);
  private readonly one = new Int32Array(1);
  private readonly groups = new TimeGroups();
  private rowW = new Float32Array(0);
  /** Fused float32 batches: offset of each local node's row in its source (part or reply). */
  private rowOff = new Float64Array(0);
  private pick = new Int32Array(64);
  /** Budget score of each local node, and the budgets of the hop being drawn. */
  private score = new Float32Array(0);
  private rowBudget = new Int32Array(0);

  constructor(
    readonly owner: PartitionOwner,
    private readonly peers: PartitionPeers,
    readonly config: ProducerConfig,
  ) {
    checkPartitionedConfig(config);
    const s = config.sampler;
    this.fanouts = [...s.fanouts];
    this.seed = s.seed ?? 0;
    this.rng = new Xoshiro128(this.seed);
    this.dim = owner.dim;
    this.part = owner.part;
    this.numNodesGlobal = this.part.partition!.numNodesGlobal;
    this.temporal = s.strategy === 'temporal';
    this.pickLast = this.temporal && (s.temporalPick ?? 'last') === 'last';
    this.weighted = s.strategy === 'weighted';
    this.budget = FanoutBudget.withoutGraph(s.budget);
    this.partStart = new Int32Array(owner.count + 1);
    this.partFill = new Int32Array(owner.count);
    const csr = this.part.csr;
    // Each sampler checks its own rows, as the whole-graph sampler checks all of them.
    if (this.weighted) {
      const w = csr.weights;
      if (!w)
        throw new ConfigError('weighted sampling needs edge weights; the graph has none', {
          field: 'strategy',
        });
      for (let p = 0; p < w.length; p++)
        if (!(w[p] > 0 && w[p] < Infinity))
          throw new InputError(`edge weight ${w[p]} at edge ${p} must be finite and > 0`, {
            file: this.part.dir,
            field: 'weights',
          });
    }
    if (this.budget?.mode === 'weight' && !csr.weights)
      throw new ConfigError("budget mode 'weight' needs edge weights; the graph has none", {
        field: 'sampling.budget.mode',
      });
    if (this.temporal) {
      const ts = csr.timestamps;
      if (!ts)
        throw new ConfigError('temporal sampling needs edge timestamps; the graph has none', {
          field: 'strategy',
        });
      const bad = firstUnsortedRow(csr.indptr, ts, csr.numNodes);
      if (bad >= 0)
        throw new InputError(`timestamps of local row ${bad} are not ascending`, {
          file: this.part.dir,
          field: 'timestamps',
        });
    }
  }

  /** Adaptive sampling: the fanouts of the batches built from now on. */
  setFanouts(fanouts: readonly number[]): void {
    this.fanouts = [...fanouts];
  }

  /** Builds one node or link batch into fresh arrays laid out as BatchProducer lays them out. */
  async produce(req: BatchRequest): Promise<BatchFields> {
    const t0 = performance.now();
    const mean = this.budget ? await this.meanSize() : 0;
    const { all, times, count, pairs } = this.seedsOf(req);
    this.rng.reseed(this.seed, req.batchSeed);
    this.map.begin();
    this.n = 0;
    this.ensureNodes(count);
    if (times) this.groups.assign(times, count);
    const seedLocal = new Int32Array(count);
    for (let i = 0; i < count; i++)
      seedLocal[i] = this.insert(all[i], times ? this.groups.of(times[i]) : 0);
    const numSeeds = this.n;
    this.classify(0, numSeeds);
    const hops = this.fanouts.length;
    const hopEnd = [numSeeds];
    this.rowPtr[0] = 0;
    for (let h = 0; h < hops; h++) {
      const lo = h === 0 ? 0 : hopEnd[h - 1];
      const hi = hopEnd[h];
      const k = this.fanouts[h];
      await this.fetchDegrees(lo, hi, k, h === 0 && req.kind === 'node', mean);
      const e = this.choose(lo, hi, k);
      await this.fetchNeighbors(lo, hi, e);
      const before = this.n;
      this.mapNeighbors(lo, hi);
      this.classify(before, this.n);
      hopEnd.push(this.n);
    }
    const t1 = performance.now();
    const out = await this.assemble(req, numSeeds, hopEnd, seedLocal, pairs);
    const t2 = performance.now();
    setBatchTimings(out.meta, t1 - t0, t2 - t1);
    return out;
  }

  /**
   * The whole graph's mean budget size, asked once of every part (each sends the exact sum of its
   * nodes' sizes, see sizeSum): the same float budgetScores computes over the whole graph.
   */
  private meanSize(): Promise<number> {
    if (!this.budgetMean) {
      const mode = this.budget!.mode;
      const me = this.owner.index;
      const sums: Promise<Float64Array>[] = [];
      for (let p = 0; p < this.owner.count; p++) {
        if (p === me) {
          sums.push(Promise.resolve(this.owner.budgetSizeSum(mode)));
          continue;
        }
        this.traffic.rowRequests++;
        const req: RowsRequest = {
          nodes: new Int32Array(0),
          degrees: false,
          features: false,
          labels: false,
          sizeSumOf: mode,
        };
        sums.push(
          this.peers.rows(p, req).then((r) => {
            if (r.sizeSum?.length !== 4)
              throw new InputError(`partition ${p} answered no budget size sum`, {
                field: 'sizeSum',
              });
            return r.sizeSum;
          }),
        );
      }
      this.budgetMean = Promise.all(sums).then(meanOfSizeSums);
      // A failed ask is asked again with the next batch.
      this.budgetMean.catch(() => {
        this.budgetMean = undefined;
      });
    }
    return this.budgetMean;
  }

  /**
   * The seeds of a request as NeighborSampler takes them: node seeds, or for a link batch all
   * sources, all destinations, then the negatives (from their own PRNG lane), with one time each.
   */
  private seedsOf(req: BatchRequest): {
    all: Int32Array;
    times: Float64Array | undefined;
    count: number;
    pairs: number;
  } {
    const limit = this.numNodesGlobal;
    const check = (a: Int32Array, field: string) => {
      for (let i = 0; i < a.length; i++)
        if (!(a[i] >= 0 && a[i] < limit))
          throw new InputError(`node id ${a[i]} is not in [0, ${limit})`, {
            field: `${field}[${i}]`,
          });
    };
    if (req.kind === 'node' && req.seeds) {
      check(req.seeds, 'seeds');
      if (this.temporal)
        throw new ConfigError(
          'temporal sampling needs a query time per seed; node seeds have none',
          {
            field: 'sampling.strategy',
          },
        );
      return { all: req.seeds, times: undefined, count: req.seeds.length, pairs: 0 };
    }
    if (req.kind !== 'link' || !req.src || !req.dst)
      throw new ConfigError(
        `partition-owning samplers build node and link batches, not '${req.kind}'`,
        {
          field: 'task',
        },
      );
    const pairs = req.src.length;
    if (req.dst.length !== pairs)
      throw new InputError(`${req.dst.length} destinations for ${pairs} sources`, { field: 'dst' });
    check(req.src, 'src');
    check(req.dst, 'dst');
    const numNeg = this.config.numNegatives;
    if (!(Number.isInteger(numNeg) && numNeg >= 0))
      throw new ConfigError(`numNegatives ${numNeg} must be an integer >= 0`, {
        field: 'numNegatives',
      });
    const total = pairs * (2 + numNeg);
    const all = new Int32Array(total);
    all.set(req.src, 0);
    all.set(req.dst, pairs);
    if (numNeg > 0) {
      const [lo, hi] = this.config.negativeRange ?? [0, limit];
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi <= limit && hi > lo))
        throw new ConfigError(
          `negativeRange [${lo}, ${hi}) must be a non-empty range of node ids`,
          {
            field: 'negativeRange',
          },
        );
      const negRng = new Xoshiro128(this.seed, req.batchSeed, NEGATIVE_LANE);
      for (let q = 2 * pairs; q < total; q++) all[q] = lo + negRng.below(hi - lo);
    }
    let times: Float64Array | undefined;
    if (this.temporal) {
      const t = req.times;
      if (!t)
        throw new InputError('temporal sampling needs one query time per seed', { field: 'times' });
      if (t.length < pairs)
        throw new InputError(`${t.length} times for ${pairs} seeds`, { field: 'times' });
      times = new Float64Array(total);
      for (let i = 0; i < pairs; i++) {
        if (Number.isNaN(t[i])) throw new InputError('query time is NaN', { field: `times[${i}]` });
        times[i] = t[i];
        times[pairs + i] = t[i];
        for (let j = 0; j < numNeg; j++) times[2 * pairs + i * numNeg + j] = t[i];
      }
    } else if (req.times)
      throw new ConfigError(
        `query times given but the strategy is '${this.config.sampler.strategy}'`,
        {
          field: 'times',
        },
      );
    return { all, times, count: total, pairs };
  }

  /** Maps each seed time to a group: its rank among the batch's distinct times. */
  private insert(g: number, grp: number): number {
    const l = this.map.findOrInsert(g, grp, this.n);
    if (l === this.n) {
      this.nodes[l] = g;
      this.group[l] = grp;
      this.n++;
    }
    return l;
  }

  /** Owner and local row of nodes [a, b): computed once per node, read by every later pass. */
  private classify(a: number, b: number): void {
    const count = this.owner.count;
    const me = this.owner.index;
    const own = this.owner;
    const { nodes, partOfNode, lrow } = this;
    for (let i = a; i < b; i++) {
      const g = nodes[i];
      const p = partOf(g, count);
      partOfNode[i] = p;
      lrow[i] = p === me ? own.localRow(g) : -1;
    }
  }

  /** Groups nodes [lo, hi) by owning part into order[partStart[p]..partStart[p+1]) (a counting sort). */
  private groupByPart(lo: number, hi: number): void {
    const count = this.owner.count;
    const start = this.partStart;
    const fill = this.partFill;
    const owner = this.partOfNode;
    start.fill(0);
    for (let i = lo; i < hi; i++) start[owner[i] + 1]++;
    for (let p = 0; p < count; p++) {
      start[p + 1] += start[p];
      fill[p] = start[p];
    }
    const order = this.order;
    for (let i = lo; i < hi; i++) order[fill[owner[i]]++] = i;
  }

  private ensureNodes(extra: number): void {
    const need = this.n + extra;
    if (this.cap < need) {
      let cap = Math.max(1024, this.cap);
      while (cap < need) cap *= 2;
      const keep = this.n;
      const grow = (a: Int32Array, len = cap): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(len);
        b.set(a.subarray(0, Math.min(a.length, keep + 1)));
        return b;
      };
      this.nodes = grow(this.nodes);
      this.group = grow(this.group);
      this.partOfNode = grow(this.partOfNode);
      this.lrow = grow(this.lrow);
      this.degree = grow(this.degree);
      this.take = grow(this.take);
      this.wStart = grow(this.wStart);
      if (this.budget) {
        const sc = new Float32Array(cap);
        sc.set(this.score.subarray(0, Math.min(this.score.length, keep + 1)));
        this.score = sc;
        this.rowBudget = new Int32Array(cap);
      }
      this.order = new Int32Array(cap);
      this.rowPtr = grow(this.rowPtr, cap + 1);
      this.cap = cap;
    }
    this.map.reserve(need, this.nodes, this.group);
  }

  private ensureEdges(need: number, keep: number): void {
    if (this.edges.length < need) {
      let cap = this.edges.length;
      while (cap < need) cap *= 2;
      const e = new Int32Array(cap);
      e.set(this.edges.subarray(0, keep));
      this.edges = e;
      const p = new Float64Array(cap);
      p.set(this.pos.subarray(0, keep));
      this.pos = p;
    }
    if (this.weighted && this.edgeW.length < this.edges.length) {
      const w = new Float32Array(this.edges.length);
      w.set(this.edgeW.subarray(0, keep));
      this.edgeW = w;
    }
  }

  /**
   * Rows of at most this many candidates are taken whole at fanout k: k itself, or with budgets the
   * fewest draws a row can get (weighted draws need the weights of every longer row).
   */
  private wholeUpTo(k: number): number {
    return this.budget && k > 0 ? this.budget.minBudget(k) : k;
  }

  /**
   * Degrees (windows when temporal), seed labels (`labels`), budget scores (budgets on, `mean` the
   * graph's mean size) and, for weighted draws, the weights of rows longer than wholeUpTo(k), of local
   * nodes [lo, hi): owned ones read here, the others in one `rows` request per owner, all in flight
   * together.
   */
  private async fetchDegrees(
    lo: number,
    hi: number,
    k: number,
    labels: boolean,
    mean: number,
  ): Promise<void> {
    if (labels && this.seedLabels.length < hi) this.seedLabels = new Int32Array(hi);
    this.groupByPart(lo, hi);
    const me = this.owner.index;
    const csr = this.part.csr;
    const indptr = csr.indptr;
    const ts = csr.timestamps;
    const ownLabels = this.part.labels;
    const { order, partStart, lrow, degree, group, nodes, score } = this;
    const groupTimes = this.groups.times;
    const budget = this.budget && k > 0 ? this.budget : null;
    const ownScores = budget ? this.owner.budgetScores(budget.mode, budget.alpha, mean) : null;
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      const i = order[j];
      const l = lrow[i];
      const start = indptr[l];
      degree[i] = this.temporal
        ? firstAtOrAfter(ts!, start, indptr[l + 1], groupTimes[group[i]]) - start
        : indptr[l + 1] - start;
      if (labels) this.seedLabels[i] = ownLabels ? ownLabels[l] : -1;
      if (ownScores) score[i] = ownScores[l];
    }
    const wantWeights = this.weighted && k >= 0;
    const over = this.wholeUpTo(k);
    const count = this.owner.count;
    const replies: (RowsReply | undefined)[] = new Array(count);
    const asks: Promise<void>[] = [];
    for (let p = 0; p < count; p++) {
      const a = partStart[p];
      const b = partStart[p + 1];
      if (p === me || a === b) continue;
      const ids = new Int32Array(b - a);
      for (let j = a; j < b; j++) ids[j - a] = nodes[order[j]];
      const req: RowsRequest = { nodes: ids, degrees: true, features: false, labels };
      if (this.temporal) {
        const t = new Float64Array(b - a);
        for (let j = a; j < b; j++) t[j - a] = groupTimes[group[order[j]]];
        req.times = t;
      }
      if (wantWeights) req.rowWeightsOver = over;
      if (budget) req.budget = { mode: budget.mode, alpha: budget.alpha, mean };
      const tr = this.traffic;
      tr.rowRequests++;
      asks.push(
        this.peers.rows(p, req).then((r) => {
          tr.wireBytes += bytesOf(ids, req.times, r.degrees, r.labels, r.rowWeights, r.scores);
          tr.remoteRowWeights += r.rowWeights?.length ?? 0;
          const m = b - a;
          if (
            r.degrees?.length !== m ||
            (labels && r.labels?.length !== m) ||
            (budget && r.scores?.length !== m)
          )
            throw new InputError(`partition ${p} answered rows of the wrong size`, {
              field: 'rows',
            });
          for (let j = a; j < b; j++) {
            const i = order[j];
            degree[i] = r.degrees[j - a];
            if (labels) this.seedLabels[i] = r.labels![j - a];
            if (budget) score[i] = r.scores![j - a];
          }
          replies[p] = r;
        }),
      );
    }
    await Promise.all(asks);
    if (wantWeights) this.placeRowWeights(lo, hi, over, replies);
  }

  /** Lays the weights of rows [lo, hi) longer than k side by side in rowW (wStart marks each row). */
  private placeRowWeights(
    lo: number,
    hi: number,
    k: number,
    replies: (RowsReply | undefined)[],
  ): void {
    const { degree, wStart, order, partStart, lrow } = this;
    let total = 0;
    for (let i = lo; i < hi; i++) {
      wStart[i] = total;
      if (degree[i] > k) total += degree[i];
    }
    if (this.rowW.length < total)
      this.rowW = new Float32Array(Math.max(total, 2 * this.rowW.length));
    const rowW = this.rowW;
    const me = this.owner.index;
    const own = this.part.csr.weights!;
    const indptr = this.part.csr.indptr;
    for (let p = 0; p < this.owner.count; p++) {
      const r = replies[p];
      let at = 0;
      for (let j = partStart[p]; j < partStart[p + 1]; j++) {
        const i = order[j];
        const d = degree[i];
        if (d <= k) continue;
        const dst = wStart[i];
        if (p === me) {
          const start = indptr[lrow[i]];
          for (let q = 0; q < d; q++) rowW[dst + q] = own[start + q];
          continue;
        }
        const src = r?.rowWeights;
        if (!src || at + d > src.length)
          throw new InputError(`partition ${p} answered too few row weights`, {
            field: 'rowWeights',
          });
        for (let q = 0; q < d; q++) rowW[dst + q] = src[at + q];
        at += d;
      }
      if (p !== me && r?.rowWeights && at !== r.rowWeights.length)
        throw new InputError(
          `partition ${p} answered ${r.rowWeights.length - at} extra row weights`,
          {
            field: 'rowWeights',
          },
        );
    }
  }

  /**
   * The random draws of one hop over rows [lo, hi), exactly as NeighborSampler.choosePositions makes
   * them: row offsets into pos, counts into take, row ends into rowPtr. Returns the end.
   */
  private choose(lo: number, hi: number, k: number): number {
    const { degree, rowBudget } = this;
    // Per-node budgets replace k row by row, fitted over the hop's rows as NeighborSampler fits them.
    const budgeted = this.budget !== null && k > 0;
    if (budgeted)
      this.budget!.assignScored(
        this.nodes,
        lo,
        hi,
        this.score.subarray(lo, hi),
        degree.subarray(lo, hi),
        k,
        rowBudget,
      );
    let e = this.rowPtr[lo];
    let need = e;
    for (let i = lo; i < hi; i++) {
      const kr = budgeted ? rowBudget[i - lo] : k;
      need += kr < 0 || degree[i] <= kr ? degree[i] : kr;
    }
    this.ensureEdges(need, e);
    const { pos, take, rowPtr, wStart } = this;
    let weighted: WeightedPicker | undefined;
    if (this.weighted && k >= 0) {
      // The rows' weights sit side by side in rowW; the picker indexes them like a CSR's weights.
      const over = this.wholeUpTo(k);
      let total = 0;
      for (let i = lo; i < hi; i++) if (degree[i] > over) total = wStart[i] + degree[i];
      weighted = new WeightedPicker(this.rowW.subarray(0, total));
      const most = budgeted ? maxBudget(k, this.budget!) : k;
      if (this.pick.length < most) this.pick = new Int32Array(most);
    }
    const pick = this.pick;
    const rng = this.rng;
    for (let i = lo; i < hi; i++) {
      const avail = degree[i];
      const kr = budgeted ? rowBudget[i - lo] : k;
      const t = kr < 0 || avail <= kr ? avail : kr;
      take[i] = t;
      if (t === avail) for (let p = 0; p < avail; p++) pos[e++] = p;
      else if (weighted) {
        weighted.pick(rng, wStart[i], avail, t, pick);
        for (let q = 0; q < t; q++) pos[e++] = pick[q];
      } else if (this.pickLast) {
        // Temporal 'last': the newest t edges of the window, newest first.
        for (let p = avail - 1; p >= avail - t; p--) pos[e++] = p;
      } else {
        this.picker.pickPositions(rng, 0, avail, t, pos, e);
        e += t;
      }
      rowPtr[i + 1] = e;
    }
    return e;
  }

  /** Global neighbour ids (and weights) of rows [lo, hi) into edges: owned rows read here, others asked for. */
  private async fetchNeighbors(lo: number, hi: number, end: number): Promise<void> {
    const me = this.owner.index;
    const csr = this.part.csr;
    const indptr = csr.indptr;
    const indices = csr.indices;
    const weights = this.weighted ? csr.weights! : undefined;
    const { nodes, rowPtr, pos, edges, edgeW, take, degree, order, partStart, lrow, group } = this;
    // Grouped by fetchDegrees over the same rows.
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      const i = order[j];
      const start = indptr[lrow[i]];
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) edges[q] = indices[start + pos[q]];
      if (weights)
        for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) edgeW[q] = weights[start + pos[q]];
    }
    const asks: Promise<void>[] = [];
    for (let p = 0; p < this.owner.count; p++) {
      const a = partStart[p];
      const b = partStart[p + 1];
      if (p === me || a === b) continue;
      const m = b - a;
      const ids = new Int32Array(m);
      const t = new Int32Array(m);
      let numOffsets = 0;
      for (let j = a; j < b; j++) {
        const i = order[j];
        ids[j - a] = nodes[i];
        t[j - a] = take[i];
        if (take[i] !== degree[i]) numOffsets += take[i];
      }
      const offsets = new Int32Array(numOffsets);
      let c = 0;
      for (let j = a; j < b; j++) {
        const i = order[j];
        if (take[i] !== degree[i])
          for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) offsets[c++] = pos[q];
      }
      const req: ExpandRequest = { nodes: ids, take: t, offsets };
      if (this.temporal) {
        const ts = new Float64Array(m);
        for (let j = a; j < b; j++) ts[j - a] = this.groups.times[group[order[j]]];
        req.times = ts;
      }
      if (this.weighted) req.weights = true;
      const tr = this.traffic;
      tr.expandRequests++;
      tr.remoteNodesExpanded += m;
      asks.push(
        this.peers.expand(p, req).then((r) => {
          tr.wireBytes += bytesOf(ids, t, offsets, req.times, r.neighbors, r.weights);
          const nb = r.neighbors;
          const w = r.weights;
          if (this.weighted && w?.length !== nb.length)
            throw new InputError(`partition ${p} answered no weights for its neighbours`, {
              field: 'weights',
            });
          let at = 0;
          for (let j = a; j < b; j++) {
            const i = order[j];
            const q0 = rowPtr[i];
            const len = rowPtr[i + 1] - q0;
            if (at + len > nb.length) break;
            for (let q = 0; q < len; q++) edges[q0 + q] = nb[at + q];
            if (w) for (let q = 0; q < len; q++) edgeW[q0 + q] = w[at + q];
            at += len;
          }
          if (at !== nb.length || at !== c + this.wholeRows(a, b))
            throw new InputError(`partition ${p} answered ${nb.length} neighbours, expected more`, {
              field: 'neighbors',
            });
        }),
      );
    }
    await Promise.all(asks);
    if (end !== rowPtr[hi]) throw new Error(`hop ends at ${rowPtr[hi]}, expected ${end}`);
  }

  /** Edges of the rows order[a..b) taken whole (their offsets were not sent). */
  private wholeRows(a: number, b: number): number {
    let n = 0;
    for (let j = a; j < b; j++) {
      const i = this.order[j];
      if (this.take[i] === this.degree[i]) n += this.take[i];
    }
    return n;
  }

  /** Global neighbour ids of rows [lo, hi) to local ids; a source inherits its row's time group. */
  private mapNeighbors(lo: number, hi: number): void {
    const e0 = this.rowPtr[lo];
    const e1 = this.rowPtr[hi];
    this.ensureNodes(e1 - e0);
    const { edges, map, nodes, group, rowPtr } = this;
    let n = this.n;
    for (let i = lo; i < hi; i++) {
      const grp = group[i];
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) {
        const u = edges[q];
        const l = map.findOrInsert(u, grp, n);
        if (l === n) {
          nodes[n] = u;
          group[n] = grp;
          n++;
        }
        edges[q] = l;
      }
    }
    this.n = n;
  }

  /**
   * Where every local node's float32 row lies, without copying it: rows[partOfNode[l]] from rowOff[l],
   * the part's own features for owned nodes, each owner's `rows` reply for the others.
   */
  private async fetchFeatureSources(own: Float32Array): Promise<Float32Array[]> {
    const n = this.n;
    const d = this.dim;
    if (this.rowOff.length < n) this.rowOff = new Float64Array(Math.max(n, 2 * this.rowOff.length));
    this.groupByPart(0, n);
    const me = this.owner.index;
    const { order, partStart, lrow, rowOff } = this;
    const rows: Float32Array[] = new Array<Float32Array>(this.owner.count).fill(own);
    for (let j = partStart[me]; j < partStart[me + 1]; j++) rowOff[order[j]] = lrow[order[j]] * d;
    await this.askRemoteFeatures((p, x, a, b) => {
      rows[p] = x;
      for (let j = a; j < b; j++) rowOff[order[j]] = (j - a) * d;
    });
    return rows;
  }

  /**
   * One `rows` request (features only) to every other owner of the grouped local nodes, all in
   * flight together; `use(p, x, a, b)` takes owner p's rows for group positions a..b.
   */
  private async askRemoteFeatures(
    use: (p: number, x: Float32Array, a: number, b: number) => void,
  ): Promise<void> {
    const d = this.dim;
    const me = this.owner.index;
    const { order, partStart, nodes } = this;
    const asks: Promise<void>[] = [];
    for (let p = 0; p < this.owner.count; p++) {
      const a = partStart[p];
      const b = partStart[p + 1];
      if (p === me || a === b) continue;
      const ids = new Int32Array(b - a);
      for (let j = a; j < b; j++) ids[j - a] = nodes[order[j]];
      const tr = this.traffic;
      tr.rowRequests++;
      asks.push(
        this.peers
          .rows(p, { nodes: ids, degrees: false, features: true, labels: false })
          .then((r) => {
            const x = r.x;
            if (x?.length !== (b - a) * d)
              throw new InputError(`partition ${p} answered rows of the wrong size`, {
                field: 'rows',
              });
            tr.wireBytes += bytesOf(ids, x);
            tr.remoteFeatureRows += b - a;
            tr.remoteFeatureBytes += x.byteLength;
            use(p, x, a, b);
          }),
      );
    }
    await Promise.all(asks);
  }

  /**
   * Feature rows of every local node into out (row l at l·dim): owned ones copied here, the others in
   * one `rows` request per owner, written straight to their place.
   */
  private async fetchFeatures(out: Float32Array): Promise<void> {
    const n = this.n;
    const d = this.dim;
    this.groupByPart(0, n);
    const me = this.owner.index;
    const { order, partStart, lrow } = this;
    const f = this.part.features;
    if (this.part.dtype === 'float32' && f instanceof Float32Array) {
      for (let j = partStart[me]; j < partStart[me + 1]; j++) {
        const i = order[j];
        copyRow(f, lrow[i] * d, out, i * d, d);
      }
    } else {
      const one = this.one;
      for (let j = partStart[me]; j < partStart[me + 1]; j++) {
        const i = order[j];
        one[0] = lrow[i];
        this.part.gather(one, 1, out, i * d);
      }
    }
    await this.askRemoteFeatures((_p, x, a, b) => {
      for (let j = a; j < b; j++) copyRow(x, (j - a) * d, out, order[j] * d, d);
    });
  }

  /** The batch record, as BatchProducer.produce writes it for a node or link batch. */
  private async assemble(
    req: BatchRequest,
    numSeeds: number,
    hopEnd: number[],
    seedLocal: Int32Array,
    pairs: number,
  ): Promise<BatchFields> {
    const d = this.dim;
    const L = this.fanouts.length;
    const n = this.n;
    const fused = this.config.fuseFirstLayer;
    const dst0 = hopEnd[L - 1];
    const shape: BatchShape = {
      meta: { dtype: 'float64', length: 8 },
      dims: { dtype: 'int32', length: 2 * L },
      seeds: { dtype: 'int32', length: numSeeds },
      x: { dtype: 'float32', length: fused ? dst0 * 2 * d : n * d },
    };
    const out: Record<string, ArrayBufferView> = {
      meta: new Float64Array(8),
      dims: new Int32Array(2 * L),
      seeds: this.nodes.slice(0, numSeeds),
      x: new Float32Array(shape.x.length),
    };
    let edges = 0;
    const dims = out.dims as Int32Array;
    for (let l = 0; l < L; l++) {
      const h = L - 1 - l;
      const numDst = hopEnd[h];
      dims[2 * l] = numDst;
      dims[2 * l + 1] = hopEnd[h + 1];
      edges += this.rowPtr[numDst];
      if (fused && l === 0) continue;
      out[`ptr${l}`] = this.rowPtr.slice(0, numDst + 1);
      out[`idx${l}`] = this.edges.slice(0, this.rowPtr[numDst]);
      if (this.weighted) out[`w${l}`] = this.edgeW.slice(0, this.rowPtr[numDst]);
    }
    if (req.kind === 'node') out.y = this.seedLabels.slice(0, numSeeds);
    else {
      out.src = seedLocal.slice(0, pairs);
      out.dst = seedLocal.slice(pairs, 2 * pairs);
      out.neg = seedLocal.slice(2 * pairs);
    }
    const own = this.part.features;
    if (fused && this.part.dtype === 'float32' && own instanceof Float32Array) {
      // Float32 rows are read where they lie: owned ones in the part, the others in the replies.
      const rows = await this.fetchFeatureSources(own);
      const e0 = this.rowPtr[dst0];
      const block = {
        numDst: dst0,
        numSrc: n,
        indptr: this.rowPtr.subarray(0, dst0 + 1),
        indices: this.edges.subarray(0, e0),
        ...(this.weighted ? { edgeWeight: this.edgeW.subarray(0, e0) } : {}),
      };
      fusedMeanFromSources(rows, this.partOfNode, this.rowOff, d, block, out.x as Float32Array);
    } else if (fused) {
      if (this.x.length < n * d) this.x = new Float32Array(Math.max(n * d, 2 * this.x.length));
      await this.fetchFeatures(this.x);
      if (this.iota.length < n) this.iota = Int32Array.from({ length: n * 2 }, (_v, i) => i);
      const x = this.x;
      const dtype = this.part.dtype;
      // The rows are already gathered, in local order: a store over them reads row l for node l, and
      // keeps the part's dtype so the same arithmetic path runs as over the whole graph.
      const store = {
        dim: d,
        dtype,
        numNodes: n,
        features: dtype === 'float32' ? x : undefined,
        gather(ids: ArrayLike<number>, count: number, o: Float32Array, at = 0): void {
          for (let i = 0; i < count; i++) copyRow(x, ids[i] * d, o, at + i * d, d);
        },
      };
      const e0 = this.rowPtr[dst0];
      const block = {
        numDst: dst0,
        numSrc: n,
        indptr: this.rowPtr.subarray(0, dst0 + 1),
        indices: this.edges.subarray(0, e0),
        ...(this.weighted ? { edgeWeight: this.edgeW.subarray(0, e0) } : {}),
      };
      firstLayerInput(store, this.iota, block, out.x as Float32Array, true, this.scratch);
    } else await this.fetchFeatures(out.x as Float32Array);
    writeBatchHeader(out.meta as Float64Array, {
      epoch: req.epoch,
      batch: req.batch,
      numSeeds,
      edges,
      sampleMs: 0,
      gatherMs: 0,
      numLayers: L,
      fused,
    });
    return out as unknown as BatchFields;
  }
}
