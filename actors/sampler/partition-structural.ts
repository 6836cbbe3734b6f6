// Structural features (model.structuralFeatures) for partition-owning samplers: each part counts its
// rows' edges before the job's cutoff into every part's nodes, an owner sums the counts it is sent,
// and the largest degrees are reduced across owners, so a part's columns equal the whole graph's.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { logScaled, maxOf, withColumns } from '../plan/structural-features.js';

/** Edges into one part's nodes: distinct target ids ascending, and how many edges reach each. */
export interface InDegreeCounts {
  ids: Int32Array;
  counts: Int32Array;
}

/** The largest out- and in-degree among a part's nodes. */
export interface MaxDegrees {
  out: number;
  in: number;
}

/** What the exchange asks of part `p`: its counts into our nodes, and its largest degrees. */
export interface StructuralPeers {
  inDegrees(p: number, cutoff: number): Promise<InDegreeCounts>;
  maxDegrees(p: number): Promise<MaxDegrees>;
}

/** Whether edge e counts: strictly before the cutoff, or untimed ("always in the past"). */
function counts(ts: Float64Array | undefined, e: number, cutoff: number): boolean {
  return ts === undefined || ts[e] < cutoff;
}

/** The part's rows' edges before `cutoff` into the nodes part `to` owns, counted per target. */
export function inDegreeCounts(part: SharedGraph, cutoff: number, to: number): InDegreeCounts {
  const { indptr, indices, timestamps } = part.csr;
  const view = part.partition!;
  const m = part.csr.numEdges;
  let n = 0;
  for (let e = 0; e < m; e++)
    if (counts(timestamps, e, cutoff) && view.partOf(indices[e]) === to) n++;
  const targets = new Int32Array(n);
  n = 0;
  for (let v = 0; v < part.numNodes; v++)
    for (let e = Number(indptr[v]); e < Number(indptr[v + 1]); e++)
      if (counts(timestamps, e, cutoff) && view.partOf(indices[e]) === to)
        targets[n++] = indices[e];
  targets.sort();
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || targets[i] !== targets[i - 1]) distinct++;
  const ids = new Int32Array(distinct);
  const out = new Int32Array(distinct);
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || targets[i] !== targets[i - 1]) ids[++k] = targets[i];
    out[k]++;
  }
  return { ids, counts: out };
}

/** Out-degree of the part's rows before `cutoff`, by local row. */
export function ownedOutDegrees(part: SharedGraph, cutoff: number): Float64Array {
  const { indptr, timestamps } = part.csr;
  const out = new Float64Array(part.numNodes);
  for (let v = 0; v < part.numNodes; v++)
    for (let e = Number(indptr[v]); e < Number(indptr[v + 1]); e++)
      if (counts(timestamps, e, cutoff)) out[v]++;
  return out;
}

/**
 * One part's side of the exchange: its degrees from every part's counts (its own counted here), the
 * largest of them for the peers, and the part with both columns scaled by the whole graph's largest.
 */
export class PartitionStructural {
  private degrees?: Promise<{ out: Float64Array; in: Float64Array }>;

  constructor(
    readonly part: SharedGraph,
    readonly cutoff: number,
    private readonly peers: StructuralPeers,
  ) {}

  /** Out- and in-degree of the part's nodes by local row, summed over every part's edges. */
  private owned(): Promise<{ out: Float64Array; in: Float64Array }> {
    this.degrees ??= (async () => {
      const view = this.part.partition!;
      const lists = await Promise.all(
        Array.from({ length: view.count }, (_v, p) =>
          p === view.index
            ? inDegreeCounts(this.part, this.cutoff, p)
            : this.peers.inDegrees(p, this.cutoff),
        ),
      );
      const inn = new Float64Array(this.part.numNodes);
      for (const l of lists)
        for (let i = 0; i < l.ids.length; i++) {
          const row = view.localOf(l.ids[i]);
          if (row < 0) throw new Error(`in-degree counts for node ${l.ids[i]}, not owned here`);
          inn[row] += l.counts[i];
        }
      return { out: ownedOutDegrees(this.part, this.cutoff), in: inn };
    })();
    return this.degrees;
  }

  /** The largest out- and in-degree among this part's nodes (what a peer's maxDegrees answers). */
  async maxDegrees(): Promise<MaxDegrees> {
    const d = await this.owned();
    return { out: maxOf(d.out), in: maxOf(d.in) };
  }

  /** The part with its structural columns: log degrees scaled by the whole graph's largest. */
  async withColumns(): Promise<SharedGraph> {
    const d = await this.owned();
    const view = this.part.partition!;
    const maxima = await Promise.all(
      Array.from({ length: view.count }, (_v, p) =>
        p === view.index ? this.maxDegrees() : this.peers.maxDegrees(p),
      ),
    );
    const maxOut = Math.max(...maxima.map((m) => m.out));
    const maxIn = Math.max(...maxima.map((m) => m.in));
    return withColumns(this.part, [logScaled(d.out, maxOut), logScaled(d.in, maxIn)]);
  }
}
