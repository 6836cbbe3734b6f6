// `weft graph build --inputs graph.yaml`: typed node and edge tables (CSV/TSV, gzip, Parquet) with
// original ids -> the same typed graph directory `graph synth` writes, plus the id maps beside it.
// Per-type features of any width share one feature block, each type in its own columns.
import { join } from 'node:path';
import { ConfigError } from '../runtime/errors.js';
import { CsrBuilder, transposeCsr } from './csr-builder.js';
import { FeatureSink } from './feature-sink.js';
import { baseManifest, writeEdgeType, writeLabels, writeSplit } from './graph-arrays-writer.js';
import { writeGraphDir, type GraphWriter } from './graph-writer.js';
import { splitOrderOf, type SplitOrder } from './link-split-order.js';
import type { GraphManifest, ManifestEdgeType, ManifestNodeType } from './manifest.js';
import { partitionGraph } from './partition.js';
import { canonicalizeRows, type CsrArrays } from './row-sort.js';
import { readEdgeTable, type EdgeTableData } from './typed-edge-reader.js';
import { readTypedInputs, type TypedInputs } from './typed-input-spec.js';
import { readNodeType, type NodeTypeData } from './typed-node-reader.js';
import type { FeatureDtype } from './types.js';

export interface BuildTypedGraphOptions {
  /** The YAML description of the input files. */
  inputs: string;
  out: string;
  replace?: boolean;
  featureDtype?: FeatureDtype;
  partitions?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** A node type placed in the graph: its global id range and feature columns. */
interface PlacedType {
  data: NodeTypeData;
  offset: number;
  start: number;
  width: number;
  input: 'table' | 'npy' | 'constant';
}

function place(t: TypedInputs, data: NodeTypeData[]): PlacedType[] {
  let offset = 0;
  let start = 0;
  return data.map((d, i) => {
    const input = t.nodes[i].features?.kind === 'npy' ? 'npy' : d.features ? 'table' : 'constant';
    const p = { data: d, offset, start, width: d.features?.width ?? 1, input } as const;
    offset += d.ids.size;
    start += p.width;
    return p;
  });
}

/** One relation's CSR over global ids, its edges in stored-split order when it has one. */
function relationCsr(
  e: EdgeTableData,
  src: PlacedType,
  dst: PlacedType,
  order: SplitOrder | undefined,
): CsrArrays {
  const n = order ? order.order.length : e.src.length;
  const s = new Uint32Array(n);
  const d = new Uint32Array(n);
  const ls = e.src.view();
  const ld = e.dst.view();
  const w = e.weights?.view();
  const weights = w && order ? Float32Array.from(order.order, (i) => w[i]) : w;
  for (let k = 0; k < n; k++) {
    const i = order ? order.order[k] : k;
    s[k] = src.offset + ls[i];
    d[k] = dst.offset + ld[i];
  }
  const timestamps = order ? order.times : e.timestamps?.view();
  const b = new CsrBuilder({
    hasTimestamps: timestamps !== undefined,
    hasWeights: weights !== undefined,
    symmetric: e.input.undirected,
    rowOffset: src.offset,
  });
  const chunk = { count: n, src: s, dst: d, timestamps, weights };
  b.count(chunk);
  b.allocate(src.data.ids.size);
  b.fill(chunk);
  return canonicalizeRows(b.finish(), e.input.undirected ? 'event' : 'none');
}

function splitOf(e: EdgeTableData, types: Map<string, PlacedType>): SplitOrder | undefined {
  const src = e.src.view();
  const dst = e.dst.view();
  const column = e.split && {
    split: e.split.view(),
    at: {
      file: e.input.file,
      column: (e.input.split as { column: string }).column,
      places: e.places!,
      pairText: (i: number) => {
        const s = types.get(e.input.src)!.data.ids;
        const d = types.get(e.input.dst)!.data.ids;
        return `(${idAt(s, src[i])}, ${idAt(d, dst[i])})`;
      },
    },
  };
  return splitOrderOf(e.input.split, src, dst, e.input.undirected, column);
}

function idAt(ids: { originalId(i: number): string }, i: number): string {
  return `'${ids.originalId(i)}'`;
}

function writeRelations(
  w: GraphWriter,
  t: TypedInputs,
  edges: EdgeTableData[],
  types: Map<string, PlacedType>,
): ManifestEdgeType[] {
  const out: ManifestEdgeType[] = [];
  const reverses: ManifestEdgeType[] = [];
  for (const e of edges) {
    const src = types.get(e.input.src)!;
    const dst = types.get(e.input.dst)!;
    const order = splitOf(e, types);
    const csr = relationCsr(e, src, dst, order);
    const rel = { src: src.data.type, rel: e.input.relation, dst: dst.data.type };
    const entry = writeEdgeType(w, rel, csr);
    if (order) entry.linkSplit = order.split;
    out.push(entry);
    if (t.reverse && !e.input.undirected) {
      const rev = transposeCsr(csr, dst.data.ids.size, dst.offset, src.offset);
      const back = { src: rel.dst, rel: `rev_${rel.rel}`, dst: rel.src };
      reverses.push(writeEdgeType(w, back, canonicalizeRows(rev, 'none')));
    }
  }
  // Forward relations first, then their reverses, as the generators store them.
  return [...out, ...reverses];
}

/** Writes every node's feature row: its type's values in its columns, 1 for a featureless type. */
function writeFeatures(w: GraphWriter, placed: PlacedType[], dtype: FeatureDtype) {
  const dim = placed.reduce((s, p) => s + p.width, 0);
  const sink = new FeatureSink(w, dim, dtype);
  try {
    const rowsPerChunk = Math.max(1, Math.floor((4 << 20) / (4 * dim)));
    const buf = new Float32Array(rowsPerChunk * dim);
    for (const p of placed) {
      const values = p.data.features?.values.view();
      const count = p.data.ids.size;
      for (let r0 = 0; r0 < count; r0 += rowsPerChunk) {
        const rows = Math.min(rowsPerChunk, count - r0);
        buf.fill(0);
        for (let r = 0; r < rows; r++) {
          const o = r * dim + p.start;
          if (!values) buf[o] = 1;
          else for (let c = 0; c < p.width; c++) buf[o + c] = values[(r0 + r) * p.width + c];
        }
        sink.writeRows(buf, rows);
      }
    }
    return sink.close();
  } finally {
    sink.discard();
  }
}

function nodeValues<T extends Int32Array | Uint8Array>(
  placed: PlacedType[],
  make: (n: number) => T,
  pick: (d: NodeTypeData) => T | undefined,
): T | undefined {
  if (!placed.some((p) => pick(p.data))) return undefined;
  const out = make(placed.reduce((s, p) => s + p.data.ids.size, 0));
  for (const p of placed) {
    const v = pick(p.data);
    if (v) out.set(v, p.offset);
  }
  return out;
}

async function readInputs(t: TypedInputs, progress?: BuildTypedGraphOptions['onProgress']) {
  const nodeData: NodeTypeData[] = [];
  for (let i = 0; i < t.nodes.length; i++) {
    progress?.('nodes', i, t.nodes.length);
    nodeData.push(await readNodeType(t.nodes[i], `nodes[${i}]`));
  }
  const byType = new Map(
    t.nodes.map((n, i) => [n.type, { data: nodeData[i], fixed: n.file !== undefined }]),
  );
  const edges: EdgeTableData[] = [];
  for (let i = 0; i < t.edges.length; i++) {
    progress?.('edges', i, t.edges.length);
    edges.push(await readEdgeTable(t.edges[i], byType, t.unknownIds, `edges[${i}]`));
  }
  return { nodeData, edges };
}

/** Builds a typed graph directory from the files `opts.inputs` describes; returns its manifest. */
export async function buildTypedGraph(opts: BuildTypedGraphOptions): Promise<GraphManifest> {
  const t = readTypedInputs(opts.inputs);
  const progress = opts.onProgress;
  const { nodeData, edges } = await readInputs(t, progress);
  const placed = place(t, nodeData);
  const numNodes = placed.reduce((s, p) => s + p.data.ids.size, 0);
  if (numNodes >= 2 ** 32 - 1)
    throw new ConfigError(`${numNodes} nodes: at most 2^32 - 2`, { file: t.file, field: 'nodes' });
  const types = new Map(placed.map((p) => [p.data.type, p]));
  return writeGraphDir(opts.out, { replace: opts.replace }, async (w) => {
    progress?.('write', 0, 1);
    const edgeTypes = writeRelations(w, t, edges, types);
    const nodeTypes: ManifestNodeType[] = placed.map((p) => ({
      name: p.data.type,
      offset: p.offset,
      count: p.data.ids.size,
      ids: p.data.ids.write(w, p.data.type),
      features: { start: p.start, width: p.width, input: p.input },
    }));
    const m = baseManifest(nodeTypes, edgeTypes, {
      generator: 'weft graph build',
      inputs: t.file,
      nodeFiles: t.nodes.map((n, i) => ({
        type: n.type,
        file: n.file ?? null,
        missingFeatureRowsFilled: nodeData[i].filledMissing,
      })),
      edgeFiles: edges.map((e) => ({
        file: e.input.file,
        relation: e.input.relation,
        split: e.input.split.mode,
        skippedUnknownIds: e.skippedUnknown,
      })),
    });
    m.features = writeFeatures(w, placed, opts.featureDtype ?? 'float32');
    const labels = nodeValues(
      placed,
      (n) => new Int32Array(n).fill(-1),
      (d) => d.labels?.view(),
    );
    if (labels) m.labels = writeLabels(w, labels);
    const split = nodeValues(
      placed,
      (n) => new Uint8Array(n),
      (d) => d.split?.view(),
    );
    if (split) m.split = writeSplit(w, split);
    if (opts.partitions !== undefined) {
      w.writeJson(m);
      await partitionGraph(w.root, opts.partitions, join(w.root, 'parts'));
      m.partitions = { count: opts.partitions, rule: 'fmix32-mod', dir: 'parts' };
    }
    w.commit(m);
    progress?.('write', 1, 1);
    return m;
  });
}
