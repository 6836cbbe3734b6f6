// The loaded graph: one homogeneous CSR, features, labels and split in SharedArrayBuffers, serving both
// GraphStore and FeatureStore. A handle (plain object of SABs + manifest) rebuilds it in any worker.
import { lowerBound } from '../runtime/lower-bound.js';
import { typedView } from './array-file.js';
import { GraphFormatError } from './errors.js';
import { gatherFloat16, gatherFloat32, gatherInt8 } from './feature-gather.js';
import { edgeTypeFacts, type ArrayDtype, type GraphManifest } from './manifest.js';
import { partOf } from './partition-rule.js';
import type {
  Csr,
  EdgeTypeInfo,
  FeatureDtype,
  FeatureStore,
  GraphStore,
  NodeTypeInfo,
  Offsets,
} from './types.js';

/** Names of the shared arrays a loaded graph may hold. */
export type SharedArrayName =
  | 'indptr'
  | 'indices'
  | 'edgeType'
  | 'timestamps'
  | 'weights'
  | 'features'
  | 'featureScales'
  | 'rowScales'
  | 'labels'
  | 'split'
  | 'nodes';

/** One shared array: its buffer, element type and extent. */
export interface SharedArrayRef {
  buffer: SharedArrayBuffer;
  dtype: ArrayDtype;
  byteOffset: number;
  length: number;
}

/**
 * Everything a worker needs to rebuild a SharedGraph without copying: structured-cloneable (post it,
 * or pass it as workerData); the SharedArrayBuffers inside are shared, not copied.
 */
export interface GraphHandle {
  kind: 'weft-graph-handle';
  dir: string;
  manifest: GraphManifest;
  arrays: Partial<Record<SharedArrayName, SharedArrayRef>>;
}

/** What a partition's store adds: which part it is and how its local rows map to global ids. */
export interface PartitionView {
  readonly index: number;
  readonly count: number;
  readonly numNodesGlobal: number;
  /** Global id of each local row, ascending. */
  readonly globalIds: Uint32Array;
  /** Node types of the whole graph (global id ranges). */
  readonly nodeTypesGlobal: readonly NodeTypeInfo[];
  /** Local row of a global id, or -1 when another part owns it. */
  localOf(globalId: number): number;
  /** The part that owns a global id (fmix32(id) mod count). */
  partOf(globalId: number): number;
  /** Node type index of a global id (the whole graph's types are contiguous id ranges). */
  nodeTypeOf(globalId: number): number;
}

/** Index of the last type whose first id is at most `node` (types are contiguous id ranges). */
function typeIndexOf(offsets: Float64Array, node: number): number {
  for (let t = offsets.length - 1; t > 0; t--) if (node >= offsets[t]) return t;
  return 0;
}

function view<T>(ref: SharedArrayRef | undefined): T | undefined {
  return ref ? (typedView(ref.dtype, ref.buffer, ref.byteOffset, ref.length) as T) : undefined;
}

/**
 * A graph held in shared memory. Node ids are global (type t owns [offset, offset + count)); in a
 * partition they are local rows, and `csr.indices` still hold global ids (see `partition`).
 */
export class SharedGraph implements GraphStore, FeatureStore {
  readonly dir: string;
  readonly manifest: GraphManifest;
  readonly nodeTypes: readonly NodeTypeInfo[];
  readonly edgeTypes: readonly EdgeTypeInfo[];
  readonly numNodes: number;
  readonly numEdges: number;
  readonly csr: Csr;
  readonly labels?: Int32Array;
  readonly numClasses: number;
  readonly split?: Uint8Array;
  /** Feature width; 0 when the graph has no features. */
  readonly dim: number;
  readonly dtype: FeatureDtype;
  /** Stored feature rows (row-major), in their storage dtype; undefined without features. */
  readonly features?: Float32Array | Uint16Array | Int8Array;
  /** int8 features only: one scale per row. */
  readonly featureScales?: Float32Array;
  /** Per node, a factor every gathered feature row is multiplied by (row normalisation); none = 1. */
  readonly rowScales?: Float32Array;
  readonly partition?: PartitionView;
  private readonly arrays: GraphHandle['arrays'];
  private readonly typeOffsets: Float64Array;

  constructor(handle: GraphHandle) {
    if (handle?.kind !== 'weft-graph-handle')
      throw new GraphFormatError('not a graph handle', { field: 'kind' });
    const { manifest: m, arrays: a } = handle;
    this.dir = handle.dir;
    this.manifest = m;
    this.arrays = a;
    this.nodeTypes = m.nodeTypes.map((t) => ({ name: t.name, offset: t.offset, count: t.count }));
    this.edgeTypes = m.edgeTypes.map((e, id) => ({ id, ...edgeTypeFacts(e) }));
    this.typeOffsets = Float64Array.from(m.nodeTypes, (t) => t.offset);
    this.numNodes = m.numNodes;
    this.numEdges = m.numEdges;
    const indptr = view<Offsets>(a.indptr);
    const indices = view<Uint32Array>(a.indices);
    if (!indptr || !indices)
      throw new GraphFormatError('handle lacks the CSR', { field: 'arrays' });
    this.csr = {
      numNodes: m.numNodes,
      numEdges: m.numEdges,
      indptr,
      indices,
      edgeType: view<Uint8Array>(a.edgeType),
      timestamps: view<Float64Array>(a.timestamps),
      weights: view<Float32Array>(a.weights),
    };
    this.labels = view<Int32Array>(a.labels);
    this.numClasses = m.labels?.numClasses ?? 0;
    this.split = view<Uint8Array>(a.split);
    this.features = view<Float32Array | Uint16Array | Int8Array>(a.features);
    this.featureScales = view<Float32Array>(a.featureScales);
    this.rowScales = view<Float32Array>(a.rowScales);
    this.dim = this.features ? m.features!.dim : 0;
    this.dtype = m.features?.dtype ?? 'float32';
    if (m.partition) {
      const p = m.partition;
      const globalIds = view<Uint32Array>(a.nodes)!;
      const count = p.count;
      const globalOffsets = Float64Array.from(p.nodeTypesGlobal, (t) => t.offset);
      this.partition = {
        index: p.index,
        count,
        numNodesGlobal: p.numNodesGlobal,
        globalIds,
        nodeTypesGlobal: p.nodeTypesGlobal.map((t) => ({ ...t })),
        localOf(g: number): number {
          const lo = lowerBound(globalIds, g);
          return lo < globalIds.length && globalIds[lo] === g ? lo : -1;
        },
        partOf: (g: number) => partOf(g, count),
        nodeTypeOf: (g: number) => typeIndexOf(globalOffsets, g),
      };
    }
  }

  /** Node type index of a node id (local row in a partition). */
  nodeTypeOf(node: number): number {
    return typeIndexOf(this.typeOffsets, node);
  }

  /** Float32 features of `ids[0..count)` into `out` from `outOffset`, decoding f16/int8. */
  gather(ids: ArrayLike<number>, count: number, out: Float32Array, outOffset = 0): void {
    const f = this.features;
    if (!f)
      throw new GraphFormatError('graph has no features', { file: this.dir, field: 'features' });
    if (this.dtype === 'float32')
      gatherFloat32(f as Float32Array, this.dim, ids, count, out, outOffset);
    else if (this.dtype === 'float16')
      gatherFloat16(f as Uint16Array, this.dim, ids, count, out, outOffset);
    else {
      const rows = { values: f as Int8Array, scales: this.featureScales! };
      gatherInt8(rows, this.dim, ids, count, out, outOffset);
    }
    const r = this.rowScales;
    if (!r) return;
    const d = this.dim;
    for (let i = 0; i < count; i++) {
      const s = r[ids[i]];
      if (s === 1) continue;
      const at = outOffset + i * d;
      for (let j = at; j < at + d; j++) out[j] *= s;
    }
  }

  /**
   * The same graph whose gathered feature rows are scaled by `scales` (one per node; shared, so a
   * handle carries it to workers). The stored features are not touched.
   */
  withRowScales(scales: Float32Array): SharedGraph {
    if (scales.length !== this.numNodes)
      throw new GraphFormatError(`${scales.length} row scales for ${this.numNodes} nodes`, {
        file: this.dir,
        field: 'rowScales',
      });
    const buffer = new SharedArrayBuffer(Math.max(8, scales.byteLength));
    new Float32Array(buffer, 0, scales.length).set(scales);
    const rowScales: SharedArrayRef = {
      buffer,
      dtype: 'f32',
      byteOffset: 0,
      length: scales.length,
    };
    return new SharedGraph({ ...this.toHandle(), arrays: { ...this.arrays, rowScales } });
  }

  /**
   * The same graph with other float32 feature rows (`rows`: numNodes × `dim`, copied into shared
   * memory): derived inputs such as structural features. Row scales are dropped, so `rows` must
   * already hold the rows as the model reads them.
   */
  withFeatures(rows: Float32Array, dim: number): SharedGraph {
    if (rows.length !== this.numNodes * dim)
      throw new GraphFormatError(
        `${rows.length} feature values for ${this.numNodes} rows of ${dim}`,
        {
          file: this.dir,
          field: 'features',
        },
      );
    const buffer = new SharedArrayBuffer(Math.max(8, rows.byteLength));
    new Float32Array(buffer, 0, rows.length).set(rows);
    const features: SharedArrayRef = { buffer, dtype: 'f32', byteOffset: 0, length: rows.length };
    // Not on disk: the entry only describes the shared rows (nothing reads or checks a file).
    const file = {
      path: '',
      dtype: 'f32' as const,
      length: rows.length,
      bytes: rows.byteLength,
      checksum: '',
    };
    const manifest = { ...this.manifest, features: { dim, dtype: 'float32' as const, file } };
    const arrays = { ...this.arrays, features };
    delete arrays.featureScales;
    delete arrays.rowScales;
    return new SharedGraph({ ...this.toHandle(), manifest, arrays });
  }

  /** A structured-cloneable handle over the same shared memory. */
  toHandle(): GraphHandle {
    return {
      kind: 'weft-graph-handle',
      dir: this.dir,
      manifest: this.manifest,
      arrays: { ...this.arrays },
    };
  }

  /** Bytes of shared memory this graph holds. */
  sharedBytes(): number {
    const seen = new Set<SharedArrayBuffer>();
    let total = 0;
    for (const r of Object.values(this.arrays)) {
      if (!r || seen.has(r.buffer)) continue;
      seen.add(r.buffer);
      total += r.buffer.byteLength;
    }
    return total;
  }
}

/** Rebuilds a SharedGraph from a handle (in a worker, say): views over the same memory, no copy. */
export function fromHandle(handle: GraphHandle): SharedGraph {
  return new SharedGraph(handle);
}
