// The neighbour and feature stores of a partition-owning sampler: rows of the part it owns are read in
// place, the others asked of their owners over the peer verbs (one request per owner per call).
import { partOf } from '../../graph-store/partition-rule.js';
import { meanOfSizeSums } from '../../kernels/sampling/fanout-budget.js';
import type {
  DrawnEdges,
  HopRows,
  NeighborStore,
  NodeFeatureSource,
  RowSources,
  RowWindows,
  ScoreRule,
} from '../../kernels/sampling/neighbor-store.js';
import type { SamplingStrategy } from '../../kernels/sampling/types.js';
import { checkRowsFor, RowSourcesScratch } from '../../kernels/sampling/local-neighbor-store.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { ExpandReply, ExpandRequest, RowsReply, RowsRequest } from './partition-protocol.js';
import type { PartitionOwner } from './partition-sampler-owner.js';

/** How a sampler reaches the other partitions' owners (NATS in a job, direct calls in tests). */
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
  /** `rows` requests sent (windows and budget scores per hop, features and labels per batch). */
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

const bytesOf = (...a: (ArrayBufferView | undefined)[]) =>
  a.reduce((t, v) => t + (v?.byteLength ?? 0), 0);

/**
 * Ids grouped by owning part (a counting sort): positions order[partStart[p]..partStart[p+1]) of the
 * ids part p owns, and each id's local row in this part (-1 for another part's).
 */
class PartGroups {
  order = new Int32Array(0);
  lrow = new Int32Array(0);
  readonly partStart: Int32Array;
  private part = new Int32Array(0);
  private readonly fill: Int32Array;

  constructor(private readonly owner: PartitionOwner) {
    this.partStart = new Int32Array(owner.count + 1);
    this.fill = new Int32Array(owner.count);
  }

  group(ids: Int32Array, lo: number, hi: number): void {
    const m = hi - lo;
    if (this.order.length < m) {
      const cap = Math.max(m, 2 * this.order.length, 1024);
      this.order = new Int32Array(cap);
      this.lrow = new Int32Array(cap);
      this.part = new Int32Array(cap);
    }
    const { owner, part, lrow, partStart: start, fill, order } = this;
    const me = owner.index;
    start.fill(0);
    for (let r = 0; r < m; r++) {
      const p = partOf(ids[lo + r], owner.count);
      part[r] = p;
      lrow[r] = p === me ? owner.localRow(ids[lo + r]) : -1;
      start[p + 1]++;
    }
    for (let p = 0; p < owner.count; p++) {
      start[p + 1] += start[p];
      fill[p] = start[p];
    }
    for (let r = 0; r < m; r++) order[fill[part[r]]++] = r;
  }

  /** The ids of part p's group, for a request. */
  idsOf(ids: Int32Array, lo: number, p: number): Int32Array {
    const a = this.partStart[p];
    const out = new Int32Array(this.partStart[p + 1] - a);
    for (let j = 0; j < out.length; j++) out[j] = ids[lo + this.order[a + j]];
    return out;
  }

  /** Each other part with ids in the groups, in part order. */
  *remoteParts(): Generator<number> {
    for (let p = 0; p < this.owner.count; p++)
      if (p !== this.owner.index && this.partStart[p + 1] > this.partStart[p]) yield p;
  }
}

/** Topology across partitions: owned rows read in the part, the others' windows and reads asked for. */
/** Starts of the rows longer than `over` laid side by side (the others at 0); returns the total. */
function markStarts(m: number, out: RowWindows, over: number): number {
  const { avail, start } = out;
  let total = 0;
  for (let r = 0; r < m; r++) {
    start[r] = total;
    if (avail[r] > over) total += avail[r];
  }
  return total;
}

export class PartitionNeighborStore implements NeighborStore {
  readonly synchronous = false;
  readonly numNodes: number;
  private readonly groups: PartGroups;
  private readonly checked = new Set<string>();
  /** The whole graph's mean budget size by mode, asked of every part once. */
  private readonly means = new Map<string, Promise<number>>();
  /** Weights of the latest hop's rows longer than weightsOver, side by side (start marks each). */
  private rowW = new Float32Array(0);
  private rowWEnd = 0;
  /** Edge types of the latest hop's windows, side by side (per-relation fanouts; start marks each). */
  private rowT = new Uint8Array(0);
  private rowTEnd = 0;
  /** The latest hop's candidate counts (the sampler's array, read again by neighbors()). */
  private avail: Int32Array = new Int32Array(0);
  /** The latest hop draws relation by relation: a window taken whole is not in CSR order. */
  private typed = false;

  constructor(
    private readonly owner: PartitionOwner,
    private readonly peers: PartitionPeers,
    private readonly traffic: PartitionTraffic,
  ) {
    this.numNodes = owner.part.partition!.numNodesGlobal;
    this.groups = new PartGroups(owner);
  }

  /** Each sampler checks its own rows, as the whole-graph sampler checks all of them. */
  check(strategy: SamplingStrategy, rule: ScoreRule | null): void {
    const key = `${strategy}:${rule?.mode}`;
    if (this.checked.has(key)) return;
    const part = this.owner.part;
    const csr = part.csr;
    if (strategy === 'ppr')
      throw new ConfigError('partition-owning samplers cannot push PPR residuals across owners', {
        field: 'sampling.strategy',
      });
    checkRowsFor(csr, strategy, part.dir);
    if (rule?.mode === 'weight' && !csr.weights)
      throw new ConfigError("budget mode 'weight' needs edge weights; the graph has none", {
        field: 'sampling.budget.mode',
      });
    this.checked.add(key);
  }

  async windows(rows: HopRows, out: RowWindows): Promise<void> {
    const { nodes, lo, hi, times } = rows;
    const g = this.groups;
    g.group(nodes, lo, hi);
    this.avail = out.avail;
    this.typed = out.types === true;
    const rule = out.rule;
    const mean = rule ? await this.meanSize(rule.mode) : 0;
    const ownScores = rule ? this.owner.budgetScores(rule.mode, rule.alpha, mean) : null;
    const { order, lrow, partStart } = g;
    const me = this.owner.index;
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      const r = order[j];
      out.avail[r] = this.owner.windowOf(lrow[r], times ? times[r] : undefined);
      if (ownScores) out.score[r] = ownScores[lrow[r]];
    }
    const replies: (RowsReply | undefined)[] = new Array(this.owner.count);
    const asks: Promise<void>[] = [];
    for (const p of g.remoteParts()) {
      const ids = g.idsOf(nodes, lo, p);
      const a = partStart[p];
      const req: RowsRequest = { nodes: ids, degrees: true, features: false, labels: false };
      if (times) req.times = Float64Array.from(ids, (_v, j) => times[order[a + j]]);
      if (out.weightsOver >= 0) req.rowWeightsOver = out.weightsOver;
      if (out.types) req.rowTypes = true;
      if (rule) req.budget = { mode: rule.mode, alpha: rule.alpha, mean };
      const tr = this.traffic;
      tr.rowRequests++;
      asks.push(
        this.peers.rows(p, req).then((reply) => {
          tr.wireBytes += bytesOf(
            ids,
            req.times,
            reply.degrees,
            reply.rowWeights,
            reply.rowTypes,
            reply.scores,
          );
          tr.remoteRowWeights += reply.rowWeights?.length ?? 0;
          if (reply.degrees?.length !== ids.length || (rule && reply.scores?.length !== ids.length))
            throw new InputError(`partition ${p} answered rows of the wrong size`, {
              field: 'rows',
            });
          for (let j = 0; j < ids.length; j++) {
            out.avail[order[a + j]] = reply.degrees[j];
            if (rule) out.score[order[a + j]] = reply.scores![j];
          }
          replies[p] = reply;
        }),
      );
    }
    await Promise.all(asks);
    out.start.fill(0, 0, hi - lo);
    const csr = this.owner.part.csr;
    if (out.weightsOver >= 0) {
      const total = markStarts(hi - lo, out, out.weightsOver);
      if (this.rowW.length < total)
        this.rowW = new Float32Array(Math.max(total, 2 * this.rowW.length));
      this.rowWEnd = total;
      const ofReply = (r: RowsReply | undefined) => r?.rowWeights;
      this.placeRows(hi - lo, out, out.weightsOver, replies, this.rowW, csr.weights!, ofReply);
    } else if (out.types) {
      // Per-relation fanouts read every window's types (they exclude weighted draws).
      const total = markStarts(hi - lo, out, 0);
      if (this.rowT.length < total)
        this.rowT = new Uint8Array(Math.max(total, 2 * this.rowT.length));
      this.rowTEnd = total;
      const own = csr.edgeType ?? new Uint8Array(csr.indices.length);
      this.placeRows(hi - lo, out, 0, replies, this.rowT, own, (r) => r?.rowTypes);
    }
  }

  /**
   * Lays the per-edge values of rows longer than `over` side by side in `into` at their starts: the
   * owned rows' from `own` in place, the others from each owner's reply (`of`), checked for size.
   */
  private placeRows<T extends Float32Array | Uint8Array>(
    m: number,
    out: RowWindows,
    over: number,
    replies: (RowsReply | undefined)[],
    into: T,
    own: T,
    of: (reply: RowsReply | undefined) => T | undefined,
  ): void {
    const { avail, start } = out;
    const { order, lrow, partStart } = this.groups;
    const me = this.owner.index;
    const indptr = this.owner.part.csr.indptr;
    for (let p = 0; p < this.owner.count; p++) {
      const src = of(replies[p]);
      let at = 0;
      for (let j = partStart[p]; j < partStart[p + 1]; j++) {
        const r = order[j];
        const d = avail[r];
        if (d <= over) continue;
        if (p === me) {
          const s0 = indptr[lrow[r]];
          into.set(own.subarray(s0, s0 + d), start[r]);
          continue;
        }
        if (!src || at + d > src.length)
          throw new InputError(`partition ${p} answered too few row values`, { field: 'rows' });
        into.set(src.subarray(at, at + d), start[r]);
        at += d;
      }
      if (p !== me && src && at !== src.length)
        throw new InputError(`partition ${p} answered ${src.length - at} extra row values`, {
          field: 'rows',
        });
    }
  }

  drawWeights(): Float32Array | undefined {
    return this.rowW.subarray(0, this.rowWEnd);
  }

  drawTypes(): Uint8Array | undefined {
    return this.rowT.subarray(0, this.rowTEnd);
  }

  async neighbors(
    rows: HopRows,
    rowPtr: Int32Array,
    pos: Float64Array,
    start: Float64Array,
    out: DrawnEdges,
  ): Promise<void> {
    const { nodes, lo, times } = rows;
    const g = this.groups;
    const { order, lrow, partStart } = g;
    const me = this.owner.index;
    const { indptr, indices } = this.owner.part.csr;
    const weights = out.weights ? this.owner.part.csr.weights! : undefined;
    const { edges, weights: edgeW } = out;
    // Grouped by windows() over the same rows.
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      const r = order[j];
      const base = indptr[lrow[r]] - start[r];
      for (let q = rowPtr[lo + r]; q < rowPtr[lo + r + 1]; q++) edges[q] = indices[base + pos[q]];
      if (weights)
        for (let q = rowPtr[lo + r]; q < rowPtr[lo + r + 1]; q++)
          edgeW![q] = weights[base + pos[q]];
    }
    const asks: Promise<void>[] = [];
    for (const p of g.remoteParts()) {
      const a = partStart[p];
      const ids = g.idsOf(nodes, lo, p);
      const take = new Int32Array(ids.length);
      const offsets: number[] = [];
      for (let j = 0; j < ids.length; j++) {
        const r = order[a + j];
        const q0 = rowPtr[lo + r];
        take[j] = rowPtr[lo + r + 1] - q0;
        if (take[j] !== this.avail[r])
          for (let q = 0; q < take[j]; q++) offsets.push(pos[q0 + q] - start[r]);
      }
      const req: ExpandRequest = { nodes: ids, take, offsets: Int32Array.from(offsets) };
      if (times) req.times = Float64Array.from(ids, (_v, j) => times[order[a + j]]);
      if (edgeW) req.weights = true;
      const tr = this.traffic;
      tr.expandRequests++;
      tr.remoteNodesExpanded += ids.length;
      asks.push(
        this.peers.expand(p, req).then((reply) => {
          tr.wireBytes += bytesOf(
            ids,
            take,
            req.offsets,
            req.times,
            reply.neighbors,
            reply.weights,
          );
          this.placeNeighbors(p, a, ids.length, lo, rowPtr, reply, out, { pos, start });
        }),
      );
    }
    await Promise.all(asks);
  }

  /** Owner p's neighbours (and weights) of group positions a..a+m into their edge slots. */
  private placeNeighbors(
    p: number,
    a: number,
    m: number,
    lo: number,
    rowPtr: Int32Array,
    reply: ExpandReply,
    out: DrawnEdges,
    drawn: { pos: Float64Array; start: Float64Array },
  ): void {
    const nb = reply.neighbors;
    const w = reply.weights;
    if (out.weights && w?.length !== nb.length)
      throw new InputError(`partition ${p} answered no weights for its neighbours`, {
        field: 'weights',
      });
    const order = this.groups.order;
    let at = 0;
    for (let j = a; j < a + m; j++) {
      const r = order[j];
      const q0 = rowPtr[lo + r];
      const len = rowPtr[lo + r + 1] - q0;
      if (at + len > nb.length) break;
      if (this.typed && len === this.avail[r]) {
        // A window taken whole comes back in CSR order; relation draws chose their own order.
        for (let q = q0; q < q0 + len; q++) out.edges[q] = nb[at + drawn.pos[q] - drawn.start[r]];
      } else {
        out.edges.set(nb.subarray(at, at + len), q0);
        if (out.weights) out.weights.set(w!.subarray(at, at + len), q0);
      }
      at += len;
    }
    let want = 0;
    for (let j = a; j < a + m; j++) want += rowPtr[lo + order[j] + 1] - rowPtr[lo + order[j]];
    if (at !== nb.length || at !== want)
      throw new InputError(`partition ${p} answered ${nb.length} neighbours, expected ${want}`, {
        field: 'neighbors',
      });
  }

  /**
   * The whole graph's mean budget size, asked once of every part (each sends the exact sum of its
   * nodes' sizes, see sizeSum): the same float budgetScores computes over the whole graph.
   */
  private meanSize(mode: 'degree' | 'weight'): Promise<number> {
    let mean = this.means.get(mode);
    if (mean) return mean;
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
    mean = Promise.all(sums).then(meanOfSizeSums);
    this.means.set(mode, mean);
    // A failed ask is asked again with the next batch.
    mean.catch(() => this.means.delete(mode));
    return mean;
  }
}

/** Features and labels across partitions: owned rows read in place, one `rows` request per owner. */
export class PartitionFeatureSource implements NodeFeatureSource {
  readonly dim: number;
  private readonly groups: PartGroups;
  private readonly scratch = new RowSourcesScratch();

  constructor(
    private readonly owner: PartitionOwner,
    private readonly peers: PartitionPeers,
    private readonly traffic: PartitionTraffic,
  ) {
    this.dim = owner.dim;
    this.groups = new PartGroups(owner);
  }

  /**
   * Row i lies in rows[src[i]]: the part's own float32 features (or its rows decoded into scratch)
   * for owned ids, owner p's reply for the others.
   */
  async locate(ids: Int32Array, count: number, labels?: Int32Array): Promise<RowSources> {
    const d = this.dim;
    const g = this.groups;
    g.group(ids, 0, count);
    const { order, lrow, partStart } = g;
    const me = this.owner.index;
    const s = this.scratch;
    s.reserve(count, d);
    const { src, off } = s;
    const own = this.ownRows();
    const rows = new Array<Float32Array>(this.owner.count).fill(own);
    const ownLabels = this.owner.part.labels;
    const inPlace = own !== s.buf;
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      const i = order[j];
      src[i] = me;
      off[i] = inPlace ? lrow[i] * d : i * d;
      if (labels) labels[i] = ownLabels ? ownLabels[lrow[i]] : -1;
    }
    const asks: Promise<void>[] = [];
    for (const p of g.remoteParts()) {
      const a = partStart[p];
      const nodes = g.idsOf(ids, 0, p);
      const tr = this.traffic;
      tr.rowRequests++;
      const req = { nodes, degrees: false, features: true, labels: labels !== undefined };
      asks.push(
        this.peers.rows(p, req).then((r) => {
          const x = r.x;
          if (x?.length !== nodes.length * d || (labels && r.labels?.length !== nodes.length))
            throw new InputError(`partition ${p} answered rows of the wrong size`, {
              field: 'rows',
            });
          tr.wireBytes += bytesOf(nodes, x, r.labels);
          tr.remoteFeatureRows += nodes.length;
          tr.remoteFeatureBytes += x.byteLength;
          rows[p] = x;
          for (let j = 0; j < nodes.length; j++) {
            src[order[a + j]] = p;
            off[order[a + j]] = j * d;
            if (labels) labels[order[a + j]] = r.labels![j];
          }
        }),
      );
    }
    await Promise.all(asks);
    return { rows, src, off };
  }

  /** The part's float32 features, read in place; other dtypes: the grouped owned ids' rows decoded. */
  private ownRows(): Float32Array {
    const part = this.owner.part;
    const f = part.features;
    if (part.dtype === 'float32' && f instanceof Float32Array) return f;
    const { order, lrow, partStart } = this.groups;
    const me = this.owner.index;
    const one = new Int32Array(1);
    for (let j = partStart[me]; j < partStart[me + 1]; j++) {
      one[0] = lrow[order[j]];
      part.gather(one, 1, this.scratch.buf, order[j] * this.dim);
    }
    return this.scratch.buf;
  }
}
