// Writes the parts of a graph directory that are whole arrays (one edge type's CSR, labels, split) and
// returns their manifest entries; generators, ingest and the partitioner all assemble manifests this way.
import type { GraphWriter } from './graph-writer.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  type GraphManifest,
  type ManifestEdgeType,
  type ManifestLabels,
  type ManifestNodeType,
  type ManifestSplit,
} from './manifest.js';
import type { CsrArrays } from './row-sort.js';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL, edgeTypeKey } from './types.js';

/** Folder of an edge type's files inside a graph directory. */
export function edgeTypeDir(e: { src: string; rel: string; dst: string }): string {
  return `edges/${edgeTypeKey(e)}`;
}

/** Writes one relation's CSR (rows = the source type's rows, in order) and returns its manifest entry. */
export function writeEdgeType(
  w: GraphWriter,
  rel: { src: string; rel: string; dst: string },
  c: CsrArrays,
): ManifestEdgeType {
  const dir = edgeTypeDir(rel);
  const count = c.indices.length;
  const indptr = w.writeOffsets(
    `${dir}/indptr.${count < 2 ** 32 ? 'u32' : 'u64'}`,
    c.indptr,
    count,
  );
  const indices = w.writeArray(`${dir}/indices.u32`, 'u32', c.indices);
  const files: ManifestEdgeType['files'] = { indptr, indices };
  if (c.timestamps) files.timestamps = w.writeArray(`${dir}/timestamps.f64`, 'f64', c.timestamps);
  if (c.weights) files.weights = w.writeArray(`${dir}/weights.f32`, 'f32', c.weights);
  return {
    src: rel.src,
    rel: rel.rel,
    dst: rel.dst,
    count,
    hasTimestamps: c.timestamps !== undefined,
    hasWeights: c.weights !== undefined,
    files,
  };
}

/** Writes per-node labels (-1 = none) with their class counts. */
export function writeLabels(w: GraphWriter, labels: Int32Array): ManifestLabels {
  let numClasses = 0;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] + 1 > numClasses) numClasses = labels[i] + 1;
  const classCounts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) classCounts[labels[i]]++;
  return { numClasses, classCounts, file: w.writeArray('labels.i32', 'i32', labels) };
}

/** Writes the per-node split (SPLIT_* values) with its counts. */
export function writeSplit(w: GraphWriter, split: Uint8Array): ManifestSplit {
  let train = 0;
  let val = 0;
  let test = 0;
  for (let i = 0; i < split.length; i++) {
    const s = split[i];
    if (s === SPLIT_TRAIN) train++;
    else if (s === SPLIT_VAL) val++;
    else if (s === SPLIT_TEST) test++;
  }
  return { train, val, test, file: w.writeArray('split.u8', 'u8', split) };
}

/** A manifest with the required header fields; callers add features, labels, split. */
export function baseManifest(
  nodeTypes: ManifestNodeType[],
  edgeTypes: ManifestEdgeType[],
  source?: Record<string, unknown>,
): GraphManifest {
  const numNodes = nodeTypes.reduce((s, t) => s + t.count, 0);
  const numEdges = edgeTypes.reduce((s, e) => s + e.count, 0);
  const m: GraphManifest = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    checksum: 'xxh32',
    numNodes,
    numEdges,
    nodeTypes,
    edgeTypes,
  };
  if (source) m.source = source;
  return m;
}
