// One partition as its owning sampler serves it: degrees (or time windows), neighbour reads at given
// row offsets, feature rows, labels and edge weights of the nodes it owns, by global id. No randomness.
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from '../../graph-store/types.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { nodeSizes, scoresOfSizes, sizeSum } from '../../kernels/sampling/fanout-budget.js';
import { firstAtOrAfter } from '../../kernels/sampling/temporal-window.js';
import { adviseHugePages } from '../../kernels/native/huge-pages.js';
import { InputError } from '../../runtime/errors.js';
import { lowerBound } from '../../runtime/lower-bound.js';
import { ownedLinkEdges } from './partition-link-seeds.js';
import type {
  ExpandReply,
  ExpandRequest,
  LinkEdgesReply,
  RowsReply,
  RowsRequest,
} from './partition-protocol.js';

/** A node split by name, and its code in the split mask. */
export type SplitName = 'train' | 'val' | 'test';
const SPLIT_CODES: Record<SplitName, number> = {
  train: SPLIT_TRAIN,
  val: SPLIT_VAL,
  test: SPLIT_TEST,
};
/** Global ids per bucket of the local-row index: 64 ids hold about 64/P owned ones. */
const BUCKET_SHIFT = 6;

export class PartitionOwner {
  readonly index: number;
  readonly count: number;
  readonly dim: number;
  private localRows = new Int32Array(1024);
  /**
   * bucket[b]: the first local row whose global id is at least b·64. A lookup searches one bucket
   * (about 64/P ids) instead of all owned ids: 4 bytes per 64 global ids.
   */
  private readonly bucket: Int32Array;
  private readonly ids: Uint32Array;
  private readonly numNodesGlobal: number;
  /** Budget sizes of the owned nodes by mode, and their scores by mode, alpha and mean. */
  private readonly sizes = new Map<string, Float64Array>();
  private readonly scores = new Map<string, Float32Array>();
  /** Bytes of the part's randomly read arrays now on 2 MiB pages (0 on the wasm kernels). */
  readonly hugePageBytes: number;

  constructor(readonly part: SharedGraph) {
    const p = part.partition;
    if (!p)
      throw new InputError(`${part.dir} is not a partition (no partition in its manifest)`, {
        file: part.dir,
        field: 'partition',
      });
    this.index = p.index;
    this.count = p.count;
    this.dim = part.dim;
    const ids = p.globalIds;
    const n = p.numNodesGlobal;
    const buckets = (n >>> BUCKET_SHIFT) + 1;
    const bucket = new Int32Array(buckets + 1);
    let l = 0;
    for (let b = 0; b <= buckets; b++) {
      const first = b * (1 << BUCKET_SHIFT);
      while (l < ids.length && ids[l] < first) l++;
      bucket[b] = l;
    }
    this.bucket = bucket;
    this.ids = ids;
    this.numNodesGlobal = n;
    // Peers' neighbour reads and feature rows land at random in these, as a whole-graph producer's do.
    this.hugePageBytes = adviseHugePages([part.csr.indptr, part.csr.indices, part.features]);
  }

  /** Local row of global id g, or -1 when this part does not own it (a search inside g's bucket). */
  localRow(g: number): number {
    if (!(g >= 0 && g < this.numNodesGlobal)) return -1;
    const ids = this.ids;
    const b = g >>> BUCKET_SHIFT;
    const lo = lowerBound(ids, g, this.bucket[b], this.bucket[b + 1]);
    return lo < ids.length && ids[lo] === g ? lo : -1;
  }

  private notOwned(g: number, field: string): InputError {
    return new InputError(`node ${g} is not owned by partition ${this.index}`, {
      file: this.part.dir,
      field,
    });
  }

  /**
   * Local rows of nodes[0..n) into a reused scratch (valid until the next call); the error names the
   * first node this part does not own.
   */
  localRowsOf(nodes: ArrayLike<number>, n: number): Int32Array {
    if (this.localRows.length < n) this.localRows = new Int32Array(n * 2);
    const rows = this.localRows;
    for (let i = 0; i < n; i++) {
      const l = this.localRow(nodes[i]);
      if (l < 0) throw this.notOwned(nodes[i], `nodes[${i}]`);
      rows[i] = l;
    }
    return rows;
  }

  /**
   * Length of local row l's candidates: the whole row, or with a query time t (not undefined) its
   * window, the edges strictly before t.
   */
  windowOf(l: number, t: number | undefined): number {
    const indptr = this.part.csr.indptr;
    const start = indptr[l];
    const end = indptr[l + 1];
    if (t === undefined) return end - start;
    return firstAtOrAfter(this.timestamps(), start, end, t) - start;
  }

  private timestamps(): Float64Array {
    const ts = this.part.csr.timestamps;
    if (!ts)
      throw new InputError(`partition ${this.index} has no edge timestamps`, {
        file: this.part.dir,
        field: 'times',
      });
    return ts;
  }

  private weights(): Float32Array {
    const w = this.part.csr.weights;
    if (!w)
      throw new InputError(`partition ${this.index} has no edge weights`, {
        file: this.part.dir,
        field: 'weights',
      });
    return w;
  }

  /**
   * Writes the neighbours of `nodes` at `offsets` (see ExpandRequest) into out from `at`, and their
   * weights into `w` when given; returns the position after the last one written.
   */
  expandInto(req: ExpandRequest, out: Int32Array, at: number, w?: Float32Array): number {
    const { nodes, take, offsets, times } = req;
    const n = nodes.length;
    if (take.length !== n)
      throw new InputError(`take has ${take.length} entries for ${n} nodes`, { field: 'take' });
    if (times && times.length !== n)
      throw new InputError(`times has ${times.length} entries for ${n} nodes`, { field: 'times' });
    const rows = this.localRowsOf(nodes, n);
    const indptr = this.part.csr.indptr;
    const indices = this.part.csr.indices;
    const weights = w ? this.weights() : undefined;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const l = rows[i];
      const start = indptr[l];
      const degree = this.windowOf(l, times ? times[i] : undefined);
      const k = take[i];
      if (k === degree) {
        if (weights) for (let p = start; p < start + degree; p++) w![at + p - start] = weights[p];
        for (let p = start; p < start + degree; p++) out[at++] = indices[p];
        continue;
      }
      if (!(k >= 0 && k < degree) || c + k > offsets.length)
        throw new InputError(`take ${k} does not fit node ${nodes[i]} of degree ${degree}`, {
          field: `take[${i}]`,
        });
      for (let q = 0; q < k; q++) {
        const off = offsets[c++];
        if (!(off >= 0 && off < degree))
          throw new InputError(`offset ${off} is outside the row of degree ${degree}`, {
            field: `offsets[${c - 1}]`,
          });
        if (weights) w![at] = weights[start + off];
        out[at++] = indices[start + off];
      }
    }
    if (c !== offsets.length)
      throw new InputError(`${offsets.length - c} offsets left over`, { field: 'offsets' });
    return at;
  }

  /** The `expand` verb: neighbours (and weights) of owned frontier nodes at the asker's offsets. */
  expand(req: ExpandRequest): ExpandReply {
    let total = 0;
    for (let i = 0; i < req.take.length; i++) total += Math.max(0, req.take[i]);
    const out = new Int32Array(total);
    const w = req.weights ? new Float32Array(total) : undefined;
    const end = this.expandInto(req, out, 0, w);
    const reply: ExpandReply = { neighbors: end === total ? out : out.subarray(0, end) };
    if (w) reply.weights = end === total ? w : w.subarray(0, end);
    return reply;
  }

  /** Budget sizes of the owned rows, by local row (degree, or effective neighbours of the weights). */
  budgetSizes(mode: 'degree' | 'weight'): Float64Array {
    let s = this.sizes.get(mode);
    if (!s) {
      s = nodeSizes(this.part.csr, mode);
      this.sizes.set(mode, s);
    }
    return s;
  }

  /** Exact sum and count of the owned rows' budget sizes (see sizeSum). */
  budgetSizeSum(mode: 'degree' | 'weight'): Float64Array {
    return sizeSum(this.budgetSizes(mode));
  }

  /**
   * Budget scores of the owned rows by local row, (size / mean)^alpha as float32 with `mean` the whole
   * graph's: the values the whole-graph sampler's budgetScores holds for these nodes.
   */
  budgetScores(mode: 'degree' | 'weight', alpha: number, mean: number): Float32Array {
    const key = `${mode}:${alpha}:${mean}`;
    let s = this.scores.get(key);
    if (!s) {
      s = scoresOfSizes(this.budgetSizes(mode), mean, alpha);
      this.scores.set(key, s);
    }
    return s;
  }

  /** The edge types of local rows' windows (lengths d), row after row (0s for one relation). */
  private windowTypes(rows: Int32Array, d: Int32Array, n: number): Uint8Array {
    let total = 0;
    for (let i = 0; i < n; i++) total += d[i];
    const out = new Uint8Array(total);
    const { indptr, edgeType } = this.part.csr;
    if (!edgeType) return out;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const start = indptr[rows[i]];
      out.set(edgeType.subarray(start, start + d[i]), at);
      at += d[i];
    }
    return out;
  }

  /** The `rows` verb: degrees (windows), feature rows, labels and row weights of owned nodes. */
  rows(req: RowsRequest): RowsReply {
    const n = req.nodes.length;
    const times = req.times;
    if (times && times.length !== n)
      throw new InputError(`times has ${times.length} entries for ${n} nodes`, { field: 'times' });
    const rows = this.localRowsOf(req.nodes, n);
    const reply: RowsReply = {};
    const over = req.rowWeightsOver;
    if (req.degrees || over !== undefined || req.rowTypes) {
      const d = new Int32Array(n);
      for (let i = 0; i < n; i++) d[i] = this.windowOf(rows[i], times ? times[i] : undefined);
      if (req.degrees) reply.degrees = d;
      if (req.rowTypes) reply.rowTypes = this.windowTypes(rows, d, n);
      if (over !== undefined) {
        const weights = this.weights();
        const indptr = this.part.csr.indptr;
        let total = 0;
        for (let i = 0; i < n; i++) if (d[i] > over) total += d[i];
        const rw = new Float32Array(total);
        let at = 0;
        for (let i = 0; i < n; i++) {
          if (d[i] <= over) continue;
          const start = indptr[rows[i]];
          rw.set(weights.subarray(start, start + d[i]), at);
          at += d[i];
        }
        reply.rowWeights = rw;
      }
    }
    if (req.features) {
      const x = new Float32Array(n * this.dim);
      this.part.gather(rows, n, x, 0);
      reply.x = x;
    }
    if (req.budget) {
      const { mode, alpha, mean } = req.budget;
      const all = this.budgetScores(mode, alpha, mean);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = all[rows[i]];
      reply.scores = out;
    }
    if (req.sizeSumOf) reply.sizeSum = this.budgetSizeSum(req.sizeSumOf);
    if (req.labels) {
      const y = new Int32Array(n);
      const labels = this.part.labels;
      for (let i = 0; i < n; i++) y[i] = labels ? labels[rows[i]] : -1;
      reply.labels = y;
    }
    return reply;
  }

  /** Global ids of the owned nodes in a split, ascending (local rows ascend with global ids). */
  splitSeeds(split: SplitName): Int32Array {
    const mask = this.part.split;
    if (!mask)
      throw new InputError(`partition ${this.index} has no train/val/test split`, {
        file: this.part.dir,
        field: 'split',
      });
    const code = SPLIT_CODES[split];
    const ids = this.part.partition!.globalIds;
    let n = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === code) n++;
    const out = new Int32Array(n);
    n = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === code) out[n++] = ids[i];
    return out;
  }

  /** The `linkEdges` verb: the owned rows' edges of one relation (see ownedLinkEdges). */
  linkEdges(edgeType: string): LinkEdgesReply {
    return ownedLinkEdges(this.part, edgeType);
  }
}
