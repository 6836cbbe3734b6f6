// The stores over a graph held whole in this process (its arrays may be views of SharedArrayBuffers):
// windows and neighbour reads straight from the CSR, synchronous, in loops of independent loads.
import type { Csr, FeatureStore } from '../../graph-store/types.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { cachedScores } from './fanout-budget.js';
import type {
  DrawnEdges,
  HopRows,
  NeighborStore,
  NodeFeatureSource,
  RowSources,
  RowWindows,
  ScoreRule,
} from './neighbor-store.js';
import { firstAtOrAfter, firstUnsortedRow } from './temporal-window.js';
import type { SamplingStrategy } from './types.js';

/**
 * What a strategy needs of the rows a store reads: edge weights, finite and > 0 ('weighted'), and
 * timestamps ascending within each row ('temporal'). `file` names a partition's folder (its rows are
 * local rows); errors name the field.
 */
export function checkRowsFor(csr: Csr, strategy: SamplingStrategy, file?: string): void {
  const where = file ? { file } : {};
  if (strategy === 'weighted') {
    const w = csr.weights;
    if (!w)
      throw new ConfigError('weighted sampling needs edge weights; the graph has none', {
        field: 'strategy',
      });
    for (let p = 0; p < w.length; p++) {
      if (!(w[p] > 0 && w[p] < Infinity))
        throw new InputError(`edge weight ${w[p]} at edge ${p} must be finite and > 0`, {
          ...where,
          field: 'weights',
        });
    }
  }
  if (strategy === 'temporal') {
    const ts = csr.timestamps;
    if (!ts)
      throw new ConfigError('temporal sampling needs edge timestamps; the graph has none', {
        field: 'strategy',
      });
    const bad = firstUnsortedRow(csr.indptr, ts, csr.numNodes);
    if (bad >= 0)
      throw new InputError(`timestamps of ${file ? 'local row' : 'row'} ${bad} are not ascending`, {
        ...where,
        field: 'timestamps',
      });
  }
}

export class LocalNeighborStore implements NeighborStore {
  readonly synchronous = true;
  readonly numNodes: number;

  constructor(readonly csr: Csr) {
    if (csr.indptr.length !== csr.numNodes + 1) {
      throw new InputError(`indptr has ${csr.indptr.length} entries, expected numNodes + 1`, {
        field: 'indptr',
      });
    }
    this.numNodes = csr.numNodes;
  }

  check(strategy: SamplingStrategy, rule: ScoreRule | null): void {
    checkRowsFor(this.csr, strategy);
    // Scores over the whole graph, computed (and their inputs checked) before the first batch.
    if (rule) cachedScores(this.csr, rule.mode, rule.alpha);
  }

  /** Row windows in a loop of independent indptr loads (a loop that also drew would serialise them). */
  windows(rows: HopRows, out: RowWindows): void {
    const { nodes, lo, hi, times } = rows;
    const indptr = this.csr.indptr;
    const { start: rowStart, avail: rowAvail } = out;
    for (let i = lo; i < hi; i++) {
      const g = nodes[i];
      const start = indptr[g];
      rowStart[i - lo] = start;
      rowAvail[i - lo] = indptr[g + 1] - start;
    }
    const ts = this.csr.timestamps;
    if (times && ts) {
      for (let r = 0; r < hi - lo; r++) {
        const start = rowStart[r];
        rowAvail[r] = firstAtOrAfter(ts, start, start + rowAvail[r], times[r]) - start;
      }
    }
    if (out.rule) {
      const scores = cachedScores(this.csr, out.rule.mode, out.rule.alpha);
      for (let i = lo; i < hi; i++) out.score[i - lo] = scores[nodes[i]];
    }
  }

  drawWeights(): Float32Array | undefined {
    return this.csr.weights;
  }

  /** Neighbour ids first, a pure gather whose loads all overlap; then weights and edge ids. */
  neighbors(
    rows: HopRows,
    rowPtr: Int32Array,
    pos: Float64Array,
    _start: Float64Array,
    out: DrawnEdges,
  ): void {
    const indices = this.csr.indices;
    const e0 = rowPtr[rows.lo];
    const e1 = rowPtr[rows.hi];
    const edges = out.edges;
    for (let q = e0; q < e1; q++) edges[q] = indices[pos[q]];
    const w = out.weights;
    const weights = this.csr.weights;
    if (w && weights) for (let q = e0; q < e1; q++) w[q] = weights[pos[q]];
    const ids = out.edgeIds;
    if (ids) for (let q = e0; q < e1; q++) ids[q] = pos[q];
  }
}

/** Scratch of a feature source's row locations, grown and reused. */
export class RowSourcesScratch {
  src = new Int32Array(0);
  off = new Float64Array(0);
  buf = new Float32Array(0);

  reserve(count: number, d: number): void {
    if (this.src.length < count) {
      const cap = Math.max(count, 2 * this.src.length);
      this.src = new Int32Array(cap);
      this.off = new Float64Array(cap);
    }
    if (this.buf.length < count * d)
      this.buf = new Float32Array(Math.max(count * d, 2 * this.buf.length));
  }
}

/** Features and labels read from a graph held whole in this process. */
export class LocalFeatureSource implements NodeFeatureSource {
  readonly dim: number;
  private readonly scratch = new RowSourcesScratch();

  constructor(
    private readonly store: FeatureStore & {
      readonly features?: unknown;
      readonly rowScales?: unknown;
    },
    private readonly labels?: Int32Array,
  ) {
    this.dim = store.dim;
  }

  /** Float32 rows without row scales are read in place; other stores decode into scratch. */
  locate(ids: Int32Array, count: number, labels?: Int32Array): RowSources {
    const d = this.dim;
    const s = this.scratch;
    s.reserve(count, d);
    const f = this.store.features;
    const inPlace = f instanceof Float32Array && this.store.rowScales === undefined;
    if (!inPlace) this.store.gather(ids, count, s.buf, 0);
    for (let i = 0; i < count; i++) s.off[i] = inPlace ? ids[i] * d : i * d;
    s.src.fill(0, 0, count);
    if (labels) {
      const y = this.labels;
      for (let i = 0; i < count; i++) labels[i] = y ? y[ids[i]] : -1;
    }
    return { rows: [inPlace ? f : s.buf], src: s.src, off: s.off };
  }
}
