// The graph as the rest of Weft sees it: a schema, a homogeneous CSR over global node ids, and two
// narrow interfaces (GraphStore, FeatureStore) that a local shared-memory store and a remote one implement.

/** A node type occupies the global id range [offset, offset + count). */
export interface NodeTypeInfo {
  readonly name: string;
  readonly offset: number;
  readonly count: number;
}

/** A typed edge relation (source type, relation, destination type). */
export interface EdgeTypeInfo {
  readonly id: number;
  readonly src: string;
  readonly rel: string;
  readonly dst: string;
  readonly count: number;
  readonly hasTimestamps: boolean;
  readonly hasWeights: boolean;
  /** Edge counts of a link split stored as edge order (times: train 1..T, val T+1, test T+2). */
  readonly linkSplit?: { readonly train: number; readonly val: number; readonly test: number };
}

/** Canonical string for an edge type, used as file and map key: `member__applied__job`. */
export function edgeTypeKey(e: { src: string; rel: string; dst: string }): string {
  return `${e.src}__${e.rel}__${e.dst}`;
}

/** Offsets are u32 while the edge count fits, else float64 (exact to 2^53); both index like numbers. */
export type Offsets = Uint32Array | Float64Array;

/**
 * Compressed sparse rows over global node ids: row v lists v's out-neighbours (the nodes whose
 * messages v aggregates, for an undirected or reverse-augmented graph). Within a row, edges are
 * sorted by timestamp when timestamps exist, else by neighbour id.
 */
export interface Csr {
  readonly numNodes: number;
  readonly numEdges: number;
  readonly indptr: Offsets; // length numNodes + 1
  readonly indices: Uint32Array; // length numEdges, global neighbour ids
  readonly edgeType?: Uint8Array; // per edge, EdgeTypeInfo.id; absent for a one-type graph
  readonly timestamps?: Float64Array; // per edge, seconds; ascending within each row
  readonly weights?: Float32Array; // per edge, > 0
}

export type FeatureDtype = 'float32' | 'float16' | 'int8';

/** Split mask values. */
export const SPLIT_NONE = 0;
export const SPLIT_TRAIN = 1;
export const SPLIT_VAL = 2;
export const SPLIT_TEST = 3;

/** Where the edges live: the sampler's only view of topology. */
export interface GraphStore {
  readonly nodeTypes: readonly NodeTypeInfo[];
  readonly edgeTypes: readonly EdgeTypeInfo[];
  readonly numNodes: number;
  readonly numEdges: number;
  /** Homogeneous CSR over all node and edge types. */
  readonly csr: Csr;
  /** Per-node class label (-1 where unlabelled), if the graph has labels. */
  readonly labels?: Int32Array;
  readonly numClasses: number;
  /** Per-node SPLIT_* value, if the graph has a split. */
  readonly split?: Uint8Array;
  /** Node type index (into nodeTypes) of a global node id. */
  nodeTypeOf(node: number): number;
}

/** Where node features live: gathered into caller-provided buffers, never allocated per row. */
export interface FeatureStore {
  readonly dim: number;
  readonly dtype: FeatureDtype;
  readonly numNodes: number;
  /**
   * Writes the float32 features of nodes ids[0..count) into out[outOffset + i*dim ..]. Rows are decoded
   * from float16 / int8-with-scale on the fly.
   */
  gather(ids: ArrayLike<number>, count: number, out: Float32Array, outOffset?: number): void;
}
