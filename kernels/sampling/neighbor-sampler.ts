// k-hop neighbour sampling through a NeighborStore into message-flow blocks: seeds (or seed edges) in,
// local-id CSR layers out, for the uniform, weighted, temporal and PPR strategies. The draws depend only
// on the rows' windows (and weights), so a local and a partitioned store give the same batch.
import type { Csr } from '../../graph-store/types.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { nativeKernels } from '../native/addon.js';
import { FanoutBudget } from './fanout-budget.js';
import { growFloat32, growFloat64, growInt32 } from './grow.js';
import { KeyedNodeMap } from './keyed-node-map.js';
import { DirectNodeMap } from './node-map.js';
import { PairSet } from './pair-set.js';
import type { PprPush } from './ppr-push.js';
import { pprPushOf, PprRelation } from './ppr-relation.js';
import { RelationFanouts } from './relation-fanouts.js';
import { Xoshiro128 } from '../../runtime/prng.js';
import { TimeGroups } from './time-groups.js';
import { LocalNeighborStore } from './local-neighbor-store.js';
import type { DrawnEdges, HopRows, NeighborStore, RowWindows } from './neighbor-store.js';
import type {
  SampleCallOptions,
  SampledBlock,
  SampledEdgeSubgraph,
  SampledSubgraph,
  SampleEdgesOptions,
  SamplerOptions,
  SamplingStrategy,
  TemporalPick,
} from './types.js';
import { UniformPicker } from './uniform-pick.js';
import { WeightedPicker } from './weighted-pick.js';

const STRATEGIES: readonly SamplingStrategy[] = ['uniform', 'weighted', 'temporal', 'ppr'];
const MAX_NODES = 0x7fffffff;
/** Largest rows × fanout a native hop sizes its buffers for (16 M edges, 200 MB of scratch). */
const MAX_NATIVE_HOP_EDGES = 1 << 24;
/** Lane that separates negative draws from neighbour draws of the same batch seed. */
export const NEGATIVE_LANE = 1;

export type SeedIds = Int32Array | Uint32Array | ArrayLike<number>;

/** Builds a sampler over `csr` (its arrays may be views of SharedArrayBuffers). */
export function createSampler(csr: Csr, options: SamplerOptions): NeighborSampler {
  return new NeighborSampler(csr, options);
}

/** One store call of a batch being sampled: undefined from a synchronous store. */
type StoreStep = void | Promise<void>;

/**
 * One sampler per thread over one store. Over a graph held whole (a Csr) it holds scratch sized to
 * the graph (an Int32Array per node for the global -> local map, PPR state when used) and samples
 * synchronously; over any other store it maps ids through a hash map and samples with the async entry
 * points. The graph is only read.
 */
export class NeighborSampler {
  readonly strategy: SamplingStrategy;
  readonly fanouts: readonly number[];
  readonly seed: number;
  readonly temporalPick: TemporalPick;
  readonly returnEdgeIds: boolean;
  readonly numNodes: number;

  private readonly store: NeighborStore;
  /** The whole graph when this process holds it: seed-edge exclusion and PPR read rows directly. */
  private readonly csr: Csr | null;
  private readonly temporal: boolean;
  private readonly rng: Xoshiro128;
  /** Global -> local ids by direct slots (whole graph); null: always the keyed map. */
  private readonly direct: DirectNodeMap | null;
  private weightsOfPicker: Float32Array | undefined;
  private readonly keyed: KeyedNodeMap | null;
  private readonly ppr: PprPush | null;
  private weighted: WeightedPicker | null = null;
  private readonly picker = new UniformPicker();
  private readonly pairs = new PairSet();
  private readonly carriesWeights: boolean;
  /** Per-node budgets (options.budget 'degree' or 'weight'); null: every row takes the hop's fanout. */
  private readonly budget: FanoutBudget | null;
  /** Per-relation fanouts (options.relationFanouts); null: one fanout per hop for every edge. */
  private readonly relations: RelationFanouts | null;
  /** PPR neighbours as an extra relation (options.pprRelation); null: none. */
  private readonly pprRelation: PprRelation | null;
  /** Hop being expanded (indexes the relation fanouts). */
  private hop = 0;

  // Per-batch state; the arrays grow and are reused.
  private n = 0;
  private e = 0;
  private keyedMode = false;
  private excludeActive = false;
  private numSeeds = 0;
  private nodes = new Int32Array(4096);
  private nodeGroup = new Int32Array(0);
  private rowPtr = new Int32Array(4096);
  private edges = new Int32Array(16384);
  private edgeW = new Float32Array(0);
  private edgeId = new Float64Array(0);
  private pick = new Int32Array(64);
  /** Chosen CSR positions of the current hop (float64: positions may pass 2^32). */
  private pos = new Float64Array(16384);
  /** CSR start and candidate count of each row of the current hop. */
  private rowStart = new Float64Array(1024);
  private rowAvail = new Int32Array(1024);
  /** Per-row budget of the current hop (budgets on). */
  private rowBudget = new Int32Array(0);
  private rowScore = new Float32Array(0);
  private rowTime = new Float64Array(0);
  private scores = new Float64Array(64);
  private endpoint = new Uint8Array(0);
  private readonly groups = new TimeGroups();
  private seedBuf = new Int32Array(0);
  private timeBuf = new Float64Array(0);

  constructor(graph: Csr | NeighborStore, options: SamplerOptions) {
    const strategy = options.strategy;
    if (!STRATEGIES.includes(strategy)) {
      throw new ConfigError(`unknown sampling strategy '${String(strategy)}'`, {
        field: 'strategy',
      });
    }
    if (!Array.isArray(options.fanouts) || options.fanouts.length === 0) {
      throw new ConfigError('fanouts must be a non-empty list', { field: 'fanouts' });
    }
    options.fanouts.forEach((f, i) => {
      const ok = Number.isInteger(f) && (f >= 1 || (f === -1 && strategy !== 'ppr'));
      if (!ok) {
        const allowed = strategy === 'ppr' ? 'an integer >= 1' : 'an integer >= 1, or -1 for all';
        throw new ConfigError(`fanout ${String(f)} must be ${allowed}`, { field: `fanouts[${i}]` });
      }
    });
    const seed = options.seed ?? 0;
    if (!Number.isFinite(seed))
      throw new ConfigError('seed must be a finite number', { field: 'seed' });
    const pick = options.temporalPick ?? 'last';
    if (pick !== 'last' && pick !== 'uniform') {
      throw new ConfigError(`temporalPick must be 'last' or 'uniform'`, { field: 'temporalPick' });
    }
    if (!(graph.numNodes >= 0 && graph.numNodes <= MAX_NODES)) {
      throw new ConfigError(`graph has ${graph.numNodes} nodes; samplers take up to 2^31-1`, {
        field: 'csr.numNodes',
      });
    }
    const store = 'indptr' in graph ? new LocalNeighborStore(graph) : graph;
    this.strategy = strategy;
    this.fanouts = [...options.fanouts];
    this.seed = seed;
    this.temporalPick = pick;
    this.returnEdgeIds = options.returnEdgeIds ?? false;
    this.numNodes = store.numNodes;
    this.store = store;
    this.csr = store instanceof LocalNeighborStore ? store.csr : null;
    this.temporal = strategy === 'temporal';
    this.rng = new Xoshiro128(seed);
    this.direct = this.csr ? new DirectNodeMap(store.numNodes) : null;
    this.keyed = this.temporal || !this.direct ? new KeyedNodeMap() : null;
    this.ppr = null;
    if (options.budget && options.budget.mode !== 'fixed' && strategy === 'ppr') {
      throw new ConfigError(
        "per-node budgets apply to neighbour rows; 'ppr' takes top-k PPR nodes",
        {
          field: 'budget.mode',
        },
      );
    }
    this.budget = FanoutBudget.withoutGraph(options.budget);
    store.check(strategy, this.budget);
    if (strategy === 'ppr') {
      if (!this.csr) {
        throw new ConfigError("'ppr' pushes over the whole graph; this store holds part of it", {
          field: 'strategy',
        });
      }
      if (this.returnEdgeIds) {
        throw new ConfigError('PPR neighbours are not graph edges; returnEdgeIds is unavailable', {
          field: 'returnEdgeIds',
        });
      }
      this.ppr = pprPushOf(this.csr, options.ppr, 'ppr');
    }
    if (this.returnEdgeIds && !this.csr) {
      throw new ConfigError(
        'edge ids are CSR positions of a graph held whole; this store holds part',
        {
          field: 'returnEdgeIds',
        },
      );
    }
    this.carriesWeights = strategy === 'weighted' || strategy === 'ppr';
    this.relations = this.relationFanoutsOf(options);
    this.pprRelation = this.pprRelationOf(options);
    // Parallel per-edge arrays always match edges' capacity, so one bounds check covers them.
    if (this.carriesWeights) this.edgeW = new Float32Array(this.edges.length);
    if (this.returnEdgeIds) this.edgeId = new Float64Array(this.edges.length);
  }

  /**
   * Samples the k-hop neighbourhood of seeds[0..count). Repeated seeds share one local id
   * (`seedLocal` maps input positions to local ids). 'temporal' needs `times` (one per seed).
   */
  sample(
    seeds: SeedIds,
    count: number = seeds.length,
    opts: SampleCallOptions = {},
  ): SampledSubgraph {
    return this.runSync(this.nodeSteps(seeds, count, opts));
  }

  /** As sample, over any store (a partitioned one asks the rows' owners hop by hop). */
  async sampleAsync(
    seeds: SeedIds,
    count: number = seeds.length,
    opts: SampleCallOptions = {},
  ): Promise<SampledSubgraph> {
    return this.runAsync(this.nodeSteps(seeds, count, opts));
  }

  private nodeSteps(
    seeds: SeedIds,
    count: number,
    opts: SampleCallOptions,
  ): Generator<StoreStep, SampledSubgraph> {
    this.checkSeeds(seeds, count, 'seeds');
    const times = this.checkTimes(opts.times, count, 'times');
    this.reseed(opts.batchSeed);
    this.excludeActive = false;
    return this.steps(seeds, count, times, 0, opts.copy ?? true);
  }

  /**
   * Samples around seed edges (src[i], dst[i]) for link prediction: the seeds are all sources, all
   * destinations, then the negatives (numNegatives uniform random nodes per pair, sharing the pair's
   * time), deduplicated; `seedLocal` follows that order. Seed edges are hidden from their endpoints'
   * rows unless excludeSeedEdges is false (not applied for 'ppr'; implied for 'temporal', see types).
   */
  sampleEdges(
    src: SeedIds,
    dst: SeedIds,
    count: number = src.length,
    opts: SampleEdgesOptions = {},
  ): SampledEdgeSubgraph {
    return this.runSync(this.edgeSteps(src, dst, count, opts));
  }

  /** As sampleEdges, over any store. */
  async sampleEdgesAsync(
    src: SeedIds,
    dst: SeedIds,
    count: number = src.length,
    opts: SampleEdgesOptions = {},
  ): Promise<SampledEdgeSubgraph> {
    return this.runAsync(this.edgeSteps(src, dst, count, opts));
  }

  /** Drives a batch over a synchronous store. */
  private runSync<T>(steps: Generator<StoreStep, T>): T {
    let r = steps.next();
    while (!r.done) {
      if (r.value !== undefined) {
        throw new ConfigError('this store answers asynchronously: sample with sampleAsync', {
          field: 'store',
        });
      }
      r = steps.next();
    }
    return r.value;
  }

  /** Drives a batch over any store, awaiting its answers. */
  private async runAsync<T>(steps: Generator<StoreStep, T>): Promise<T> {
    let r = steps.next();
    while (!r.done) {
      await r.value;
      r = steps.next();
    }
    return r.value;
  }

  private *edgeSteps(
    src: SeedIds,
    dst: SeedIds,
    count: number,
    opts: SampleEdgesOptions,
  ): Generator<StoreStep, SampledEdgeSubgraph> {
    this.checkSeeds(src, count, 'src');
    this.checkSeeds(dst, count, 'dst');
    const negatives = opts.negatives ?? 'none';
    if (negatives !== 'uniform' && negatives !== 'none') {
      throw new ConfigError(`negatives must be 'uniform' or 'none'`, { field: 'negatives' });
    }
    const given = opts.negativeIds;
    const numNeg = given
      ? given.length / Math.max(1, count)
      : negatives === 'uniform'
        ? (opts.numNegatives ?? 1)
        : 0;
    if (!(Number.isInteger(numNeg) && numNeg >= 0)) {
      throw new ConfigError(`numNegatives ${numNeg} must be an integer >= 0`, {
        field: 'numNegatives',
      });
    }
    const pairTimes = this.checkTimes(opts.times, count, 'times');
    if (numNeg > 0 && this.numNodes === 0) {
      throw new InputError('cannot draw negatives from an empty graph', { field: 'negatives' });
    }

    const total = count * (2 + numNeg);
    if (this.seedBuf.length < total) this.seedBuf = new Int32Array(total);
    const all = this.seedBuf;
    for (let i = 0; i < count; i++) {
      all[i] = src[i];
      all[count + i] = dst[i];
    }
    // Negatives come from their own stream, so they do not shift the neighbour draws.
    const negGlobal = new Int32Array(count * numNeg);
    if (given) {
      this.checkSeeds(given, given.length, 'negativeIds');
      negGlobal.set(given);
      all.set(negGlobal, 2 * count);
    } else if (numNeg > 0) {
      const negRng = new Xoshiro128(this.seed, opts.batchSeed ?? this.rng.nextU32(), NEGATIVE_LANE);
      const [lo, hi] = opts.negativeRange ?? [0, this.numNodes];
      if (!(
        Number.isInteger(lo) &&
        Number.isInteger(hi) &&
        lo >= 0 &&
        hi <= this.numNodes &&
        hi > lo
      )) {
        throw new ConfigError(
          `negativeRange [${lo}, ${hi}) must be a non-empty range of node ids`,
          {
            field: 'negativeRange',
          },
        );
      }
      for (let q = 0; q < negGlobal.length; q++) negGlobal[q] = lo + negRng.below(hi - lo);
      all.set(negGlobal, 2 * count);
    }
    let allTimes: Float64Array | null = null;
    if (pairTimes) {
      if (this.timeBuf.length < total) this.timeBuf = new Float64Array(total);
      allTimes = this.timeBuf;
      for (let i = 0; i < count; i++) {
        const t = pairTimes[i];
        allTimes[i] = t;
        allTimes[count + i] = t;
        for (let j = 0; j < numNeg; j++) allTimes[2 * count + i * numNeg + j] = t;
      }
    }

    this.reseed(opts.batchSeed);
    const exclude =
      (opts.excludeSeedEdges ?? true) && this.strategy !== 'ppr' && this.strategy !== 'temporal';
    this.excludeActive = exclude && count > 0;
    if (this.excludeActive && this.pprRelation !== null)
      throw new ConfigError(
        "PPR neighbours would walk through the hidden seed edges; sample link batches with 'temporal' (the walk stays before each pair's time) or excludeSeedEdges false",
        { field: 'pprRelation' },
      );
    if (this.excludeActive && !this.csr) {
      throw new ConfigError(
        'hiding seed edges reads whole rows; this store holds part of the graph',
        {
          field: 'excludeSeedEdges',
        },
      );
    }
    if (this.excludeActive) {
      this.pairs.reset(2 * count);
      for (let i = 0; i < count; i++) {
        this.pairs.add(all[i], all[count + i]);
        this.pairs.add(all[count + i], all[i]);
      }
    }
    const sub = yield* this.steps(all, total, allTimes, count, opts.copy ?? true);
    this.excludeActive = false;
    return {
      ...sub,
      srcLocal: sub.seedLocal.subarray(0, count),
      dstLocal: sub.seedLocal.subarray(count, 2 * count),
      numNegatives: numNeg,
      negLocal: sub.seedLocal.subarray(2 * count, total),
      negGlobal,
    };
  }

  private reseed(batchSeed: number | undefined): void {
    if (batchSeed === undefined) return;
    if (!Number.isFinite(batchSeed)) {
      throw new ConfigError('batchSeed must be a finite number', { field: 'batchSeed' });
    }
    this.rng.reseed(this.seed, batchSeed);
  }

  private checkSeeds(seeds: SeedIds, count: number, field: string): void {
    if (!(Number.isInteger(count) && count >= 0 && count <= seeds.length)) {
      throw new InputError(`count ${count} must be an integer in [0, ${seeds.length}]`, {
        field: 'count',
      });
    }
    const limit = this.numNodes;
    for (let i = 0; i < count; i++) {
      const s = seeds[i];
      if (!(s >= 0 && s < limit && Number.isInteger(s))) {
        throw new InputError(`node id ${s} is not in [0, ${limit})`, { field: `${field}[${i}]` });
      }
    }
  }

  private checkTimes(
    times: Float64Array | undefined,
    count: number,
    field: string,
  ): Float64Array | null {
    if (this.strategy !== 'temporal') {
      if (times !== undefined) {
        throw new ConfigError(`query times given but the strategy is '${this.strategy}'`, {
          field,
        });
      }
      return null;
    }
    if (!times) throw new InputError('temporal sampling needs one query time per seed', { field });
    if (times.length < count) {
      throw new InputError(`${times.length} times for ${count} seeds`, { field });
    }
    for (let i = 0; i < count; i++) {
      if (Number.isNaN(times[i]))
        throw new InputError('query time is NaN', { field: `${field}[${i}]` });
    }
    return times;
  }

  /**
   * Inserts the seeds, expands hop by hop, and copies the result out at exact sizes; yields each
   * store call's answer (undefined from a synchronous store) before reading it.
   */
  private *steps(
    seeds: SeedIds,
    count: number,
    times: Float64Array | null,
    numPairs: number,
    copy: boolean,
  ): Generator<StoreStep, SampledSubgraph> {
    this.direct?.begin(this.keyedMode ? 0 : this.n);
    this.keyed?.begin();
    this.n = 0;
    this.e = 0;
    const seedLocal = new Int32Array(count);
    this.keyedMode = !this.direct;
    // One distinct time: nodes need no time in their key, and the direct map serves.
    if (times) this.keyedMode = this.groups.assign(times, count) > 1 || !this.direct;
    this.ensureNodes(count);
    if (this.keyedMode) {
      const keyed = this.keyed!;
      keyed.reserve(count, this.nodes, this.nodeGroup);
      for (let i = 0; i < count; i++) {
        const g = seeds[i];
        const grp = times ? this.groups.of(times[i]) : 0;
        const l = keyed.findOrInsert(g, grp, this.n);
        if (l === this.n) {
          this.nodes[l] = g;
          this.nodeGroup[l] = grp;
          this.n++;
        }
        seedLocal[i] = l;
      }
    } else {
      const slot = this.direct!.slot;
      const base = this.direct!.base;
      for (let i = 0; i < count; i++) {
        const g = seeds[i];
        let l = slot[g] - base;
        if (l < 0) {
          l = this.n++;
          slot[g] = base + l;
          this.nodes[l] = g;
        }
        seedLocal[i] = l;
      }
    }
    this.numSeeds = this.n;
    if (this.excludeActive) {
      if (this.endpoint.length < this.numSeeds) this.endpoint = new Uint8Array(this.numSeeds * 2);
      this.endpoint.fill(0, 0, this.numSeeds);
      for (let i = 0; i < 2 * numPairs; i++) this.endpoint[seedLocal[i]] = 1;
    }

    const hops = this.fanouts.length;
    const hopEnd = [this.n];
    this.rowPtr[0] = 0;
    for (let h = 0; h < hops; h++) {
      const lo = h === 0 ? 0 : hopEnd[h - 1];
      const hi = hopEnd[h];
      if (this.rowPtr.length < hi + 1) this.rowPtr = growInt32(this.rowPtr, hi + 1, lo + 1);
      this.hop = h;
      if (this.strategy === 'ppr') this.expandPpr(lo, hi, this.fanouts[h]);
      else yield* this.expandRows(lo, hi, this.fanouts[h]);
      hopEnd.push(this.n);
    }
    return this.collect(seedLocal, hopEnd, copy);
  }

  private ensureNodes(extra: number): void {
    const need = this.n + extra;
    if (this.nodes.length < need) this.nodes = growInt32(this.nodes, need, this.n);
    if (this.keyedMode && this.nodeGroup.length < need) {
      this.nodeGroup = growInt32(this.nodeGroup, Math.max(need, this.nodes.length), this.n);
    }
  }

  private ensureEdges(extra: number): void {
    const need = this.e + extra;
    if (this.edges.length < need) this.edges = growInt32(this.edges, need, this.e);
    if (this.carriesWeights && this.edgeW.length < need) {
      this.edgeW = growFloat32(this.edgeW, Math.max(need, this.edges.length), this.e);
    }
    if (this.returnEdgeIds && this.edgeId.length < need) {
      this.edgeId = growFloat64(this.edgeId, Math.max(need, this.edges.length), this.e);
    }
  }

  private growPick(k: number): Int32Array {
    this.pick = growInt32(this.pick, k, 0);
    this.scores = new Float64Array(this.pick.length);
    return this.pick;
  }

  /**
   * Chooses `want` of the `avail` candidates starting at CSR position `start` (avail > want) into
   * pick[0..want) as offsets from start, in an order whose every prefix is a valid smaller sample.
   */
  private chooseOrdered(start: number, avail: number, want: number): void {
    const pick = this.pick;
    if (this.strategy === 'weighted') {
      this.weighted!.pick(this.rng, start, avail, want, pick);
    } else if (this.strategy === 'temporal' && this.temporalPick === 'last') {
      for (let q = 0; q < want; q++) pick[q] = avail - 1 - q;
    } else {
      this.picker.pickOrdered(this.rng, avail, want, pick);
    }
  }

  /**
   * One hop for uniform, weighted and temporal: rows of local nodes [lo, hi) with fanout k, in
   * passes. The store gives every row's window (degrees, time windows); the draws choose positions in
   * them; the store reads the chosen neighbours; they are mapped to local ids. Split this way each
   * pass is a loop of independent loads, so the CPU overlaps the cache misses instead of stalling on
   * each in turn (measured against one fused loop in bench/NOTES.md, section "Neighbour samplers"),
   * and a partitioned store makes one request per owner per pass.
   */
  private *expandRows(lo: number, hi: number, k: number): Generator<StoreStep, void> {
    if (this.nativeHop(lo, hi, k)) return;
    const rows = this.hopRows(lo, hi);
    const budgeted = this.budget !== null && k > 0;
    const wholeUpTo = budgeted ? this.budget!.minBudget(k) : k;
    const windows: RowWindows = {
      start: this.rowStart,
      avail: this.rowAvail,
      score: this.rowScore,
      rule: budgeted ? this.budget : null,
      weightsOver: this.strategy === 'weighted' && k >= 0 ? wholeUpTo : -1,
      types: this.relations !== null && this.csr === null,
    };
    yield this.store.windows(rows, windows);
    if (this.relations !== null && this.csr === null)
      this.relations.useTypes(this.store.drawTypes?.());
    const e0 = this.e;
    this.choosePositions(lo, hi, k);
    const e1 = this.e;
    this.e = e0;
    this.ensureEdges(e1 - e0);
    this.ensureNodes(e1 - e0);
    const out: DrawnEdges = {
      edges: this.edges,
      weights: this.carriesWeights ? this.edgeW : null,
      edgeIds: this.returnEdgeIds ? this.edgeId : null,
    };
    yield this.store.neighbors(rows, this.rowPtr, this.pos, this.rowStart, out);
    const end = this.withPprNeighbors(lo, hi, rows.times, e0, e1);
    if (this.keyedMode) this.mapKeyed(lo, hi);
    else this.mapDirect(e0, end);
    this.e = end;
  }

  /**
   * At the PPR relation's hops: each row's top-k PPR nodes (global ids) after its drawn edges, walked
   * before the row's query time under 'temporal'. Returns the hop's new end of edges.
   */
  private withPprNeighbors(
    lo: number,
    hi: number,
    times: Float64Array | null,
    e0: number,
    e1: number,
  ): number {
    const ppr = this.pprRelation;
    if (ppr === null || this.hop >= ppr.hops) return e1;
    const extra = ppr.find(this.nodes, lo, hi, times);
    this.e = e0;
    this.ensureEdges(e1 - e0 + extra);
    this.ensureNodes(e1 - e0 + extra);
    ppr.splice(this.rowPtr, lo, hi, this.edges, this.returnEdgeIds ? this.edgeId : null, extra);
    return e1 + extra;
  }

  /**
   * The same hop in the addon when the rows are plain uniform ones (no budgets, time groups or
   * hidden seed edges): the same draws in the same order, so the same bytes (native/sample.cc).
   * False when it does not apply or the wasm kernels run.
   */
  private nativeHop(lo: number, hi: number, k: number): boolean {
    const addon = nativeKernels();
    const plain =
      this.strategy === 'uniform' &&
      this.budget === null &&
      this.relations === null &&
      this.pprRelation === null &&
      !this.keyedMode;
    // The addon takes the store's own layouts (u32 or f64 offsets, u32 ids); any other stays here.
    const csr = this.csr;
    const direct = this.direct;
    if (addon === null || csr === null || direct === null || !plain || k < 1) return false;
    const ip = csr.indptr;
    const layout =
      csr.indices instanceof Uint32Array &&
      (ip instanceof Uint32Array || ip instanceof Float64Array);
    if (!layout || (this.excludeActive && lo < this.numSeeds)) return false;
    const e0 = this.e;
    // Buffers are sized for every row at full fanout; a fanout far above the degrees stays here.
    const most = (hi - lo) * k;
    if (most > MAX_NATIVE_HOP_EDGES) return false;
    if (this.pos.length < e0 + most) this.pos = growFloat64(this.pos, e0 + most, e0);
    this.ensureEdges(most);
    this.ensureNodes(most);
    const { slot, base } = direct;
    this.n = addon.uniformHop(
      ...[ip, csr.indices, this.nodes, lo, hi, k, this.rng.state, slot, base],
      ...[this.rowPtr, this.edges, this.pos, this.n],
    );
    this.e = this.rowPtr[hi];
    if (this.returnEdgeIds) for (let q = e0; q < this.e; q++) this.edgeId[q] = this.pos[q];
    return true;
  }

  /** The hop's rows as the store takes them, with each row's query time when sampling in time. */
  private hopRows(lo: number, hi: number): HopRows {
    const rows = hi - lo;
    if (this.rowStart.length < rows) {
      const cap = Math.max(rows, this.rowStart.length * 2);
      this.rowStart = new Float64Array(cap);
      this.rowAvail = new Int32Array(cap);
    }
    if (this.budget && this.rowScore.length < this.rowStart.length)
      this.rowScore = new Float32Array(this.rowStart.length);
    let times: Float64Array | null = null;
    if (this.temporal) {
      if (this.rowTime.length < rows) this.rowTime = new Float64Array(this.rowStart.length);
      times = this.rowTime;
      const groupTimes = this.groups.times;
      for (let i = lo; i < hi; i++)
        times[i - lo] = groupTimes[this.keyedMode ? this.nodeGroup[i] : 0];
    }
    return { nodes: this.nodes, lo, hi, times };
  }

  /** The draws: positions of the chosen edges of rows [lo, hi) into pos[rowPtr[i]..rowPtr[i+1]). */
  private choosePositions(lo: number, hi: number, k: number): void {
    const rowPtr = this.rowPtr;
    const filterUpTo = this.excludeActive ? this.numSeeds : 0;
    const endpoint = this.endpoint;
    const weighted =
      this.strategy === 'weighted' ? this.pickerOver(this.store.drawWeights()) : null;
    const uniformPick =
      this.strategy === 'uniform' ||
      (this.strategy === 'temporal' && this.temporalPick === 'uniform');
    const nodes = this.nodes;
    const picker = this.picker;
    const rng = this.rng;
    const rowStart = this.rowStart;
    const rowAvail = this.rowAvail;
    // Per-node budgets replace k row by row (a fanout of -1 takes every neighbour either way).
    const budgeted = this.budget !== null && k > 0;
    if (budgeted) {
      if (this.rowBudget.length < hi - lo) this.rowBudget = new Int32Array(this.rowStart.length);
      this.budget!.assignScored(nodes, lo, hi, this.rowScore, rowAvail, k, this.rowBudget);
    }
    const rowBudget = this.rowBudget;
    let pos = this.pos;
    let e = this.e;
    for (let i = lo; i < hi; i++) {
      const start = rowStart[i - lo];
      const avail = rowAvail[i - lo];
      const kr = budgeted ? rowBudget[i - lo] : k;
      const take = kr < 0 || avail <= kr ? avail : kr;
      if (e + avail > pos.length) {
        pos = this.pos = growFloat64(pos, e + avail, e);
      }
      if (this.relations !== null) {
        const g = nodes[i];
        const hide =
          i < filterUpTo && endpoint[i] === 1
            ? (p: number) => this.pairs.has(g, this.csr!.indices[p])
            : null;
        const row = { start, avail, h: this.hop, k };
        const mode = uniformPick ? 'uniform' : 'last';
        e += this.relations.choose(rng, picker, mode, row, hide, { pos, at: e });
      } else if (i < filterUpTo && endpoint[i] === 1) {
        e += this.chooseFiltered(nodes[i], start, avail, kr, e);
      } else if (take === avail) {
        for (let p = start; p < start + avail; p++) pos[e++] = p;
      } else if (uniformPick) {
        picker.pickPositions(rng, start, avail, take, pos, e);
        e += take;
      } else if (weighted) {
        const pick = this.pick.length < take ? this.growPick(take) : this.pick;
        weighted.pick(rng, start, avail, take, pick);
        for (let q = 0; q < take; q++) pos[e++] = start + pick[q];
      } else {
        // Temporal 'last': the newest `take` edges of the window, newest first.
        for (let p = start + avail - 1; p >= start + avail - take; p--) pos[e++] = p;
      }
      rowPtr[i + 1] = e;
    }
    this.e = e;
  }

  /** The weighted picker over the store's draw weights, rebuilt when the store hands new ones. */
  private pickerOver(weights: Float32Array | undefined): WeightedPicker | null {
    if (!weights) return null;
    if (weights !== this.weightsOfPicker || !this.weighted) {
      this.weighted = new WeightedPicker(weights);
      this.weightsOfPicker = weights;
    }
    return this.weighted;
  }

  /** Per-relation fanouts of the options, checked against the strategy; null when none is listed. */
  private relationFanoutsOf(options: SamplerOptions): RelationFanouts | null {
    if (!RelationFanouts.any(options.relationFanouts)) return null;
    const why =
      this.strategy === 'ppr' || this.strategy === 'weighted'
        ? `sampling strategy '${this.strategy}' (relations are drawn uniformly or newest first)`
        : this.budget !== null
          ? 'per-node budgets (budget.mode)'
          : '';
    if (why)
      throw new ConfigError(`per-relation fanouts do not combine with ${why}`, {
        field: 'relationFanouts',
      });
    // Without the CSR here (a partitioned store) the types come with each hop's windows.
    const types = this.csr ? this.csr.edgeType : undefined;
    return new RelationFanouts(types, options.relationFanouts!, this.fanouts.length);
  }

  /** The PPR relation of the options, checked against the strategy and store; null when absent. */
  private pprRelationOf(options: SamplerOptions): PprRelation | null {
    if (options.pprRelation === undefined) return null;
    if (this.strategy !== 'uniform' && this.strategy !== 'temporal')
      throw new ConfigError(
        `PPR neighbours join rows drawn uniformly or in time, not with strategy '${this.strategy}'`,
        { field: 'pprRelation' },
      );
    if (!this.csr)
      throw new ConfigError('PPR neighbours push over the whole graph; this store holds part', {
        field: 'pprRelation',
      });
    return new PprRelation(this.csr, options.pprRelation, this.fanouts.length);
  }

  /**
   * A seed-edge endpoint's row: x of its candidates are hidden. It chooses k + x candidates in an
   * order whose every prefix is a valid sample, drops the hidden ones and keeps the first k — the same
   * distribution as sampling the row without them. Writes positions at pos[at..]; returns how many.
   */
  private chooseFiltered(g: number, start: number, avail: number, k: number, at: number): number {
    const indices = this.csr!.indices;
    const pairs = this.pairs;
    const pos = this.pos;
    let hidden = 0;
    for (let p = start; p < start + avail; p++) if (pairs.has(g, indices[p])) hidden++;
    const keep = k < 0 ? avail - hidden : Math.min(k, avail - hidden);
    const want = k < 0 ? avail : Math.min(avail, k + hidden);
    let kept = 0;
    if (want === avail) {
      for (let p = start; p < start + avail && kept < keep; p++) {
        if (!pairs.has(g, indices[p])) pos[at + kept++] = p;
      }
    } else {
      const pick = this.pick.length < want ? this.growPick(want) : this.pick;
      this.chooseOrdered(start, avail, want);
      for (let q = 0; q < want && kept < keep; q++) {
        const p = start + pick[q];
        if (!pairs.has(g, indices[p])) pos[at + kept++] = p;
      }
    }
    return kept;
  }

  /** Pass 3 with the direct map: the neighbours of edges [e0, e1) to local source ids. */
  private mapDirect(e0: number, e1: number): void {
    const slot = this.direct!.slot;
    const base = this.direct!.base;
    const nodes = this.nodes;
    const edges = this.edges;
    let n = this.n;
    for (let q = e0; q < e1; q++) {
      const u = edges[q];
      let l = slot[u] - base;
      if (l < 0) {
        l = n;
        slot[u] = base + n;
        nodes[n++] = u;
      }
      edges[q] = l;
    }
    this.n = n;
  }

  /** Pass 3 with the (id, time group) map: a source inherits the time group of its row. */
  private mapKeyed(lo: number, hi: number): void {
    const keyed = this.keyed!;
    const rowPtr = this.rowPtr;
    const nodes = this.nodes;
    const nodeGroup = this.nodeGroup;
    const edges = this.edges;
    const e0 = rowPtr[lo];
    const e1 = rowPtr[hi];
    let n = this.n;
    keyed.reserve(n + (e1 - e0), nodes, nodeGroup);
    for (let i = lo; i < hi; i++) {
      const grp = nodeGroup[i];
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) {
        const u = edges[q];
        const l = keyed.findOrInsert(u, grp, n);
        if (l === n) {
          nodes[n] = u;
          nodeGroup[n] = grp;
          n++;
        }
        edges[q] = l;
      }
    }
    this.n = n;
  }

  /** One PPR hop: each node's top-k PPR nodes become its sources, weighted by normalised score. */
  private expandPpr(lo: number, hi: number, k: number): void {
    const ppr = this.ppr!;
    if (this.pick.length < k) this.growPick(k);
    const slot = this.direct!.slot;
    const base = this.direct!.base;
    for (let i = lo; i < hi; i++) {
      const c = ppr.topK(this.nodes[i], k, this.pick, this.scores);
      this.ensureEdges(c);
      this.ensureNodes(c);
      const pick = this.pick;
      const scores = this.scores;
      const nodes = this.nodes;
      const edges = this.edges;
      const edgeW = this.edgeW;
      let sum = 0;
      for (let q = 0; q < c; q++) sum += scores[q];
      let n = this.n;
      let e = this.e;
      for (let q = 0; q < c; q++) {
        const u = pick[q];
        let l = slot[u] - base;
        if (l < 0) {
          l = n;
          slot[u] = base + n;
          nodes[n++] = u;
        }
        edgeW[e] = scores[q] / sum;
        edges[e++] = l;
      }
      this.n = n;
      this.e = e;
      this.rowPtr[i + 1] = e;
    }
  }

  /**
   * The batch at exact sizes, copied out (or, with copy false, as views of the scratch); every
   * block is a prefix view of one CSR.
   */
  private collect(seedLocal: Int32Array, hopEnd: number[], copy: boolean): SampledSubgraph {
    const n = this.n;
    const hops = this.fanouts.length;
    const numRows = hopEnd[hops - 1];
    const numEdges = this.rowPtr[numRows];
    const cut = <T extends Int32Array | Float32Array | Float64Array>(a: T, len: number): T =>
      (copy ? a.slice(0, len) : a.subarray(0, len)) as T;
    const nodes = cut(this.nodes, n);
    const indptr = cut(this.rowPtr, numRows + 1);
    const indices = cut(this.edges, numEdges);
    const edgeWeight = this.carriesWeights ? cut(this.edgeW, numEdges) : undefined;
    const edgeIds = this.returnEdgeIds ? cut(this.edgeId, numEdges) : undefined;
    const blocks: SampledBlock[] = [];
    for (let l = 0; l < hops; l++) {
      const h = hops - 1 - l;
      const numDst = hopEnd[h];
      const m = indptr[numDst];
      const block: {
        numDst: number;
        numSrc: number;
        indptr: Int32Array;
        indices: Int32Array;
        edgeWeight?: Float32Array;
        edgeIds?: Float64Array;
      } = {
        numDst,
        numSrc: hopEnd[h + 1],
        indptr: indptr.subarray(0, numDst + 1),
        indices: indices.subarray(0, m),
      };
      if (edgeWeight) block.edgeWeight = edgeWeight.subarray(0, m);
      if (edgeIds) block.edgeIds = edgeIds.subarray(0, m);
      blocks.push(block);
    }
    const out: {
      nodes: Int32Array;
      numSeeds: number;
      seedLocal: Int32Array;
      blocks: SampledBlock[];
      nodeTimes?: Float64Array;
    } = { nodes, numSeeds: this.numSeeds, seedLocal, blocks };
    if (this.strategy === 'temporal') {
      const nodeTimes = new Float64Array(n);
      if (this.keyedMode) {
        for (let l = 0; l < n; l++) nodeTimes[l] = this.groups.times[this.nodeGroup[l]];
      } else if (n > 0) {
        nodeTimes.fill(this.groups.times[0]);
      }
      out.nodeTimes = nodeTimes;
    }
    return out;
  }
}
