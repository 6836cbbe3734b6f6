// Builds a node batch from hash partitions: frontier rows this sampler owns are read in place, the rest
// asked of their owners (one batched request per owner per round, all owners at once). Same records as
// BatchProducer over the whole graph, bit for bit: the random draws are made here, from row degrees.
import { partOf } from '../../graph-store/partition-rule.js';
import { firstLayerInput } from '../../kernels/gather/first-layer-input.js';
import { KeyedNodeMap } from '../../kernels/sampling/keyed-node-map.js';
import { Xoshiro128 } from '../../kernels/sampling/prng.js';
import { UniformPicker } from '../../kernels/sampling/uniform-pick.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { BatchShape } from '../../runtime/shm-queue-batch.js';
import {
  META_BATCH,
  META_EDGES,
  META_EPOCH,
  META_FUSED,
  META_GATHER_MS,
  META_LAYERS,
  META_SAMPLE_MS,
  META_SEEDS,
  type BatchFields,
  type BatchRequest,
  type ProducerConfig,
} from '../sampler/batch-producer.js';
import type { ExpandReply, ExpandRequest, RowsReply, RowsRequest } from './partition-protocol.js';
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
  /** `rows` requests sent (degrees, features, labels). */
  rowRequests: number;
  /** Feature rows received from other partitions. */
  remoteFeatureRows: number;
  /** Bytes of those feature rows. */
  remoteFeatureBytes: number;
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
    wireBytes: 0,
  };
}

const bytesOf = (...a: (ArrayBufferView | undefined)[]) =>
  a.reduce((t, v) => t + (v?.byteLength ?? 0), 0);

/** Check a producer config can be served from partitions; errors name the job-spec field. */
export function checkPartitionedConfig(config: ProducerConfig): void {
  if (config.sampler.strategy !== 'uniform')
    throw new ConfigError(
      `partition-owning samplers sample 'uniform' only, not '${config.sampler.strategy}'`,
      { field: 'sampling.strategy' },
    );
}

/**
 * One builder per partition-owning sampler. Reproduces NeighborSampler's uniform draws exactly: the
 * PRNG is reseeded with (sampler seed, batch seed) and steps through the frontier rows in order,
 * drawing by Floyd over each row's degree, which the owners report; owners only read the chosen
 * offsets. Local ids are assigned in first-seen order, as the whole-graph sampler assigns them.
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

  // Per-batch state, grown and reused.
  private n = 0;
  private nodes = new Int32Array(1024);
  private zeros = new Int32Array(1024);
  private degree = new Int32Array(1024);
  private take = new Int32Array(1024);
  private x = new Float32Array(0);
  private rowPtr = new Int32Array(1025);
  private edges = new Int32Array(4096);
  private pos = new Float64Array(4096);
  private seedLabels = new Int32Array(0);
  private iota = new Int32Array(0);
  private readonly one = new Int32Array(1);

  constructor(
    readonly owner: PartitionOwner,
    private readonly peers: PartitionPeers,
    readonly config: ProducerConfig,
  ) {
    checkPartitionedConfig(config);
    this.fanouts = [...config.sampler.fanouts];
    this.seed = config.sampler.seed ?? 0;
    this.rng = new Xoshiro128(this.seed);
    this.dim = owner.dim;
  }

  /** Adaptive sampling: the fanouts of the batches built from now on. */
  setFanouts(fanouts: readonly number[]): void {
    this.fanouts = [...fanouts];
  }

  /** Builds one node batch into fresh arrays laid out as BatchProducer lays them out. */
  async produce(req: BatchRequest): Promise<BatchFields> {
    if (req.kind !== 'node' || !req.seeds)
      throw new ConfigError(`partition-owning samplers build node batches, not '${req.kind}'`, {
        field: 'task',
      });
    const t0 = performance.now();
    const seeds = req.seeds;
    this.rng.reseed(this.seed, req.batchSeed);
    this.map.begin();
    this.n = 0;
    this.ensureNodes(seeds.length);
    for (let i = 0; i < seeds.length; i++) this.insert(seeds[i]);
    const numSeeds = this.n;
    const hops = this.fanouts.length;
    const hopEnd = [numSeeds];
    this.rowPtr[0] = 0;
    for (let h = 0; h < hops; h++) {
      const lo = h === 0 ? 0 : hopEnd[h - 1];
      const hi = hopEnd[h];
      await this.fetchRows(lo, hi, true, h === 0);
      const e = this.choose(lo, hi, this.fanouts[h]);
      await this.fetchNeighbors(lo, hi, e);
      this.mapNeighbors(this.rowPtr[lo], e);
      hopEnd.push(this.n);
    }
    const t1 = performance.now();
    await this.fetchRows(hopEnd[hops - 1], this.n, false, false);
    const out = this.assemble(req, numSeeds, hopEnd);
    const t2 = performance.now();
    const m = out.meta;
    m[META_SAMPLE_MS] = t1 - t0;
    m[META_GATHER_MS] = t2 - t1;
    return out;
  }

  private insert(g: number): void {
    const l = this.map.findOrInsert(g, 0, this.n);
    if (l === this.n) this.nodes[this.n++] = g;
  }

  private ensureNodes(extra: number): void {
    const need = this.n + extra;
    if (this.nodes.length >= need) {
      this.map.reserve(need, this.nodes, this.zeros);
      return;
    }
    let cap = this.nodes.length;
    while (cap < need) cap *= 2;
    const grow = <T extends Int32Array>(a: T): T => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, Math.min(a.length, this.n)));
      return b as T;
    };
    this.nodes = grow(this.nodes);
    this.degree = grow(this.degree);
    this.take = grow(this.take);
    this.zeros = new Int32Array(cap);
    const ptr = new Int32Array(cap + 1);
    ptr.set(this.rowPtr.subarray(0, Math.min(this.rowPtr.length, this.n + 1)));
    this.rowPtr = ptr;
    this.map.reserve(need, this.nodes, this.zeros);
  }

  private ensureEdges(need: number, keep: number): void {
    if (this.edges.length >= need) return;
    let cap = this.edges.length;
    while (cap < need) cap *= 2;
    const e = new Int32Array(cap);
    e.set(this.edges.subarray(0, keep));
    this.edges = e;
    const p = new Float64Array(cap);
    p.set(this.pos.subarray(0, keep));
    this.pos = p;
  }

  /**
   * Degrees (when `degrees`), feature rows, and (when `labels`) labels of local nodes [lo, hi): owned
   * ones read here, the others in one `rows` request per owner, all in flight together.
   */
  private async fetchRows(
    lo: number,
    hi: number,
    degrees: boolean,
    labels: boolean,
  ): Promise<void> {
    const d = this.dim;
    if (this.x.length < hi * d) {
      const x = new Float32Array(Math.max(hi * d, this.x.length * 2));
      x.set(this.x.subarray(0, lo * d));
      this.x = x;
    }
    if (labels && this.seedLabels.length < hi) this.seedLabels = new Int32Array(hi);
    const own = this.owner;
    const count = own.count;
    const byPart: number[][] = Array.from({ length: count }, () => []);
    for (let i = lo; i < hi; i++) {
      const g = this.nodes[i];
      const p = partOf(g, count);
      if (p !== own.index) {
        byPart[p].push(i);
        continue;
      }
      if (degrees) this.degree[i] = own.degreeOf(g);
      this.one[0] = g;
      own.gather(this.one, 1, this.x, i * d);
      if (labels) this.seedLabels[i] = own.labelOf(g);
    }
    const asks: Promise<void>[] = [];
    for (let p = 0; p < count; p++) {
      const locals = byPart[p];
      if (locals.length === 0) continue;
      const ids = Int32Array.from(locals, (i) => this.nodes[i]);
      const req: RowsRequest = { nodes: ids, degrees, features: true, labels };
      const t = this.traffic;
      t.rowRequests++;
      asks.push(
        this.peers.rows(p, req).then((r) => {
          t.wireBytes += bytesOf(ids, r.degrees, r.x, r.labels);
          t.remoteFeatureRows += locals.length;
          t.remoteFeatureBytes += bytesOf(r.x);
          this.scatterRows(p, locals, r, degrees, labels);
        }),
      );
    }
    await Promise.all(asks);
  }

  private scatterRows(
    p: number,
    locals: number[],
    r: RowsReply,
    degrees: boolean,
    labels: boolean,
  ): void {
    const d = this.dim;
    const n = locals.length;
    if (
      (degrees && r.degrees?.length !== n) ||
      r.x?.length !== n * d ||
      (labels && r.labels?.length !== n)
    )
      throw new InputError(`partition ${p} answered rows of the wrong size`, { field: 'rows' });
    for (let j = 0; j < n; j++) {
      const i = locals[j];
      if (degrees) this.degree[i] = r.degrees![j];
      this.x.set(r.x.subarray(j * d, (j + 1) * d), i * d);
      if (labels) this.seedLabels[i] = r.labels![j];
    }
  }

  /**
   * The random draws of one hop over rows [lo, hi), exactly as NeighborSampler.choosePositions makes
   * them for 'uniform': row offsets into pos, counts into take, row ends into rowPtr. Returns the end.
   */
  private choose(lo: number, hi: number, k: number): number {
    let e = this.rowPtr[lo];
    let need = e;
    for (let i = lo; i < hi; i++) need += k < 0 || this.degree[i] <= k ? this.degree[i] : k;
    this.ensureEdges(need, e);
    const pos = this.pos;
    const degree = this.degree;
    const take = this.take;
    const rowPtr = this.rowPtr;
    for (let i = lo; i < hi; i++) {
      const avail = degree[i];
      const t = k < 0 || avail <= k ? avail : k;
      take[i] = t;
      if (t === avail) for (let p = 0; p < avail; p++) pos[e++] = p;
      else {
        this.picker.pickPositions(this.rng, 0, avail, t, pos, e);
        e += t;
      }
      rowPtr[i + 1] = e;
    }
    return e;
  }

  /** Global neighbour ids of rows [lo, hi) into edges: owned rows read here, others asked for. */
  private async fetchNeighbors(lo: number, hi: number, end: number): Promise<void> {
    const own = this.owner;
    const count = own.count;
    const indices = own.part.csr.indices;
    const byPart: number[][] = Array.from({ length: count }, () => []);
    const { nodes, rowPtr, pos, edges, take, degree } = this;
    for (let i = lo; i < hi; i++) {
      const g = nodes[i];
      const p = partOf(g, count);
      if (p !== own.index) {
        byPart[p].push(i);
        continue;
      }
      const start = own.rowOf(g, 'nodes').start;
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) edges[q] = indices[start + pos[q]];
    }
    const asks: Promise<void>[] = [];
    for (let p = 0; p < count; p++) {
      const locals = byPart[p];
      if (locals.length === 0) continue;
      const ids = new Int32Array(locals.length);
      const t = new Int32Array(locals.length);
      let numOffsets = 0;
      for (let j = 0; j < locals.length; j++) {
        const i = locals[j];
        ids[j] = nodes[i];
        t[j] = take[i];
        if (take[i] !== degree[i]) numOffsets += take[i];
      }
      const offsets = new Int32Array(numOffsets);
      let c = 0;
      for (const i of locals)
        if (take[i] !== degree[i])
          for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) offsets[c++] = pos[q];
      const tr = this.traffic;
      tr.expandRequests++;
      tr.remoteNodesExpanded += locals.length;
      asks.push(
        this.peers.expand(p, { nodes: ids, take: t, offsets }).then((r) => {
          tr.wireBytes += bytesOf(ids, t, offsets, r.neighbors);
          let at = 0;
          for (const i of locals) {
            const len = rowPtr[i + 1] - rowPtr[i];
            if (at + len > r.neighbors.length) break;
            edges.set(r.neighbors.subarray(at, at + len), rowPtr[i]);
            at += len;
          }
          if (at !== r.neighbors.length)
            throw new InputError(
              `partition ${p} answered ${r.neighbors.length} neighbours, expected ${at}`,
              { field: 'neighbors' },
            );
        }),
      );
    }
    await Promise.all(asks);
    if (end !== rowPtr[hi]) throw new Error(`hop ends at ${rowPtr[hi]}, expected ${end}`);
  }

  /** Global neighbour ids of edges [e0, e1) to local ids, new nodes appended in order. */
  private mapNeighbors(e0: number, e1: number): void {
    this.ensureNodes(e1 - e0);
    const edges = this.edges;
    const map = this.map;
    const nodes = this.nodes;
    let n = this.n;
    for (let q = e0; q < e1; q++) {
      const u = edges[q];
      const l = map.findOrInsert(u, 0, n);
      if (l === n) nodes[n++] = u;
      edges[q] = l;
    }
    this.n = n;
  }

  /** The batch record, as BatchProducer.produce writes it for a node batch. */
  private assemble(req: BatchRequest, numSeeds: number, hopEnd: number[]): BatchFields {
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
    }
    out.y = this.seedLabels.slice(0, numSeeds);
    if (fused) {
      if (this.iota.length < n) this.iota = Int32Array.from({ length: n * 2 }, (_v, i) => i);
      const x = this.x;
      const dtype = this.owner.part.dtype;
      // The rows are already gathered, in local order: a store over them reads row l for node l, and
      // keeps the part's dtype so the same arithmetic path runs as over the whole graph.
      const store = {
        dim: d,
        dtype,
        numNodes: n,
        features: dtype === 'float32' ? x : undefined,
        gather(ids: ArrayLike<number>, count: number, o: Float32Array, at = 0): void {
          for (let i = 0; i < count; i++)
            o.set(x.subarray(ids[i] * d, (ids[i] + 1) * d), at + i * d);
        },
      };
      const block = {
        numDst: dst0,
        numSrc: n,
        indptr: this.rowPtr.subarray(0, dst0 + 1),
        indices: this.edges.subarray(0, this.rowPtr[dst0]),
      };
      firstLayerInput(store, this.iota, block, out.x as Float32Array, true, this.scratch);
    } else (out.x as Float32Array).set(this.x.subarray(0, n * d));
    const m = out.meta as Float64Array;
    m[META_EPOCH] = req.epoch;
    m[META_BATCH] = req.batch;
    m[META_SEEDS] = numSeeds;
    m[META_EDGES] = edges;
    m[META_LAYERS] = L;
    m[META_FUSED] = fused ? 1 : 0;
    return out as unknown as BatchFields;
  }
}
