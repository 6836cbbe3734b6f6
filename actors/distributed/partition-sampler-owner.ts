// One partition as its owning sampler serves it: degrees, neighbour reads at given row offsets, feature
// rows and labels of the nodes it owns, by global id. Plain reads of the part's arrays, no randomness.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { InputError } from '../../runtime/errors.js';
import type { ExpandReply, ExpandRequest, RowsReply, RowsRequest } from './partition-protocol.js';

/** Split code of training nodes in a graph's split array (1 train, 2 val, 3 test). */
const SPLIT_TRAIN = 1;

export class PartitionOwner {
  readonly index: number;
  readonly count: number;
  readonly dim: number;
  private readonly localRows = { buf: new Int32Array(1024) };

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
  }

  /** Whether this part owns global id g. */
  owns(g: number): boolean {
    return this.part.partition!.partOf(g) === this.index;
  }

  /** The local row of global id g, or an InputError naming the asked-for field. */
  localOf(g: number, field: string): number {
    const l = this.part.partition!.localOf(g);
    if (l < 0)
      throw new InputError(`node ${g} is not owned by partition ${this.index}`, {
        file: this.part.dir,
        field,
      });
    return l;
  }

  /** CSR start and length of global id g's row. */
  rowOf(g: number, field: string): { start: number; degree: number } {
    const l = this.localOf(g, field);
    const indptr = this.part.csr.indptr;
    return { start: indptr[l], degree: indptr[l + 1] - indptr[l] };
  }

  /** Out-degree of owned global id g. */
  degreeOf(g: number): number {
    const l = this.localOf(g, 'nodes');
    const indptr = this.part.csr.indptr;
    return indptr[l + 1] - indptr[l];
  }

  /** Float32 features of owned global ids nodes[0..count) into out from outOffset. */
  gather(nodes: ArrayLike<number>, count: number, out: Float32Array, outOffset: number): void {
    if (this.localRows.buf.length < count) this.localRows.buf = new Int32Array(count * 2);
    const rows = this.localRows.buf;
    for (let i = 0; i < count; i++) rows[i] = this.localOf(nodes[i], `nodes[${i}]`);
    this.part.gather(rows, count, out, outOffset);
  }

  /** Label of owned global id g (-1 when the graph has none). */
  labelOf(g: number): number {
    const labels = this.part.labels;
    return labels ? labels[this.localOf(g, 'nodes')] : -1;
  }

  /**
   * Writes the neighbours of `nodes` at `offsets` (see ExpandRequest) into out from `at`; returns the
   * position after the last one written.
   */
  expandInto(req: ExpandRequest, out: Int32Array, at: number): number {
    const { nodes, take, offsets } = req;
    if (take.length !== nodes.length)
      throw new InputError(`take has ${take.length} entries for ${nodes.length} nodes`, {
        field: 'take',
      });
    const indices = this.part.csr.indices;
    let c = 0;
    for (let i = 0; i < nodes.length; i++) {
      const { start, degree } = this.rowOf(nodes[i], `nodes[${i}]`);
      const k = take[i];
      if (k === degree) {
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
        out[at++] = indices[start + off];
      }
    }
    if (c !== offsets.length)
      throw new InputError(`${offsets.length - c} offsets left over`, { field: 'offsets' });
    return at;
  }

  /** The `expand` verb: neighbours of owned frontier nodes at the asker's offsets. */
  expand(req: ExpandRequest): ExpandReply {
    let total = 0;
    for (let i = 0; i < req.take.length; i++) total += Math.max(0, req.take[i]);
    const out = new Int32Array(total);
    const end = this.expandInto(req, out, 0);
    return { neighbors: end === total ? out : out.subarray(0, end) };
  }

  /** The `rows` verb: degrees, feature rows and labels of owned nodes. */
  rows(req: RowsRequest): RowsReply {
    const n = req.nodes.length;
    const reply: RowsReply = {};
    if (req.degrees) {
      const d = new Int32Array(n);
      for (let i = 0; i < n; i++) d[i] = this.degreeOf(req.nodes[i]);
      reply.degrees = d;
    }
    if (req.features) {
      const x = new Float32Array(n * this.dim);
      this.gather(req.nodes, n, x, 0);
      reply.x = x;
    }
    if (req.labels) {
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) y[i] = this.labelOf(req.nodes[i]);
      reply.labels = y;
    }
    return reply;
  }

  /** Global ids of the owned training nodes, ascending (local rows ascend with global ids). */
  trainSeeds(): Int32Array {
    const split = this.part.split;
    if (!split)
      throw new InputError(`partition ${this.index} has no train/val/test split`, {
        file: this.part.dir,
        field: 'split',
      });
    const ids = this.part.partition!.globalIds;
    let n = 0;
    for (let i = 0; i < split.length; i++) if (split[i] === SPLIT_TRAIN) n++;
    const out = new Int32Array(n);
    n = 0;
    for (let i = 0; i < split.length; i++) if (split[i] === SPLIT_TRAIN) out[n++] = ids[i];
    return out;
  }
}
