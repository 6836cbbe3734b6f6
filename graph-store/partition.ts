// Hash-partitions a graph directory into P part directories, each loadable alone: its owned nodes'
// CSR rows (neighbours stay global ids), features, labels and split, plus the owned global ids.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../runtime/errors.js';
import { readArrayFile } from './array-file.js';
import { Xxh32, formatChecksum } from './checksum.js';
import { GraphFormatError } from './errors.js';
import { baseManifest, writeEdgeType, writeLabels, writeSplit } from './graph-arrays-writer.js';
import { writeGraphDir, type ArrayFileStream, type GraphWriter } from './graph-writer.js';
import {
  DTYPE_BYTES,
  FORMAT_VERSION,
  PARTITIONS_FILE,
  PARTITIONS_FORMAT_NAME,
  readManifest,
  type FileEntry,
  type GraphManifest,
  type ManifestEdgeType,
  type ManifestNodeType,
  type PartitionsIndex,
} from './manifest.js';
import { partDirName, partOf } from './partition-rule.js';
import type { CsrArrays } from './row-sort.js';
import type { Offsets } from './types.js';

export interface PartitionOptions {
  replace?: boolean;
  /** Verify source checksums while reading (default true). */
  verifyChecksums?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Which part owns each node and its row inside that part. */
interface Assignment {
  parts: number;
  /** Per part: owned global ids, ascending. */
  nodes: Uint32Array[];
  /** Per global id: its local row in the owning part. */
  localRow: Uint32Array;
  /** Per global id: the owning part. */
  owner: Uint16Array;
}

function assign(numNodes: number, parts: number): Assignment {
  const owner = new Uint16Array(numNodes);
  const counts = new Float64Array(parts);
  for (let v = 0; v < numNodes; v++) {
    const p = partOf(v, parts);
    owner[v] = p;
    counts[p]++;
  }
  const nodes = Array.from(counts, (c) => new Uint32Array(c));
  const fill = new Float64Array(parts);
  const localRow = new Uint32Array(numNodes);
  for (let v = 0; v < numNodes; v++) {
    const p = owner[v];
    localRow[v] = fill[p];
    nodes[p][fill[p]++] = v;
  }
  return { parts, nodes, localRow, owner };
}

/** Node types of a part: the owned nodes of each type, which are contiguous because ids ascend. */
function localNodeTypes(m: GraphManifest, a: Assignment, part: number): ManifestNodeType[] {
  const ids = a.nodes[part];
  const out: ManifestNodeType[] = [];
  let i = 0;
  for (const t of m.nodeTypes) {
    const start = i;
    while (i < ids.length && ids[i] < t.offset + t.count) i++;
    out.push({ name: t.name, offset: start, count: i - start });
  }
  return out;
}

async function readEdgeType(
  dir: string,
  m: GraphManifest,
  k: number,
  verify: boolean,
): Promise<CsrArrays> {
  const e = m.edgeTypes[k];
  const f = `edgeTypes[${k}].files`;
  const opts = { verify, shared: false };
  const ptr = (await readArrayFile(dir, e.files.indptr, `${f}.indptr`, opts)).view;
  const indptr: Offsets =
    ptr instanceof BigUint64Array ? Float64Array.from(ptr, (x) => Number(x)) : (ptr as Uint32Array);
  const indices = (await readArrayFile(dir, e.files.indices, `${f}.indices`, opts))
    .view as Uint32Array;
  const timestamps = e.files.timestamps
    ? ((await readArrayFile(dir, e.files.timestamps, `${f}.timestamps`, opts)).view as Float64Array)
    : undefined;
  const weights = e.files.weights
    ? ((await readArrayFile(dir, e.files.weights, `${f}.weights`, opts)).view as Float32Array)
    : undefined;
  return { numRows: indptr.length - 1, indptr, indices, timestamps, weights };
}

/** The rows of `c` (source type at global `srcOffset`) owned by `part`, as that part's CSR. */
function partRows(c: CsrArrays, srcOffset: number, a: Assignment, part: number): CsrArrays {
  const { indptr, indices, timestamps: ts, weights: w } = c;
  let rows = 0;
  let edges = 0;
  for (let r = 0; r < c.numRows; r++)
    if (a.owner[srcOffset + r] === part) {
      rows++;
      edges += indptr[r + 1] - indptr[r];
    }
  const out: Offsets = edges < 2 ** 32 ? new Uint32Array(rows + 1) : new Float64Array(rows + 1);
  const idx = new Uint32Array(edges);
  const pts = ts ? new Float64Array(edges) : undefined;
  const pw = w ? new Float32Array(edges) : undefined;
  let row = 0;
  let q = 0;
  for (let r = 0; r < c.numRows; r++) {
    if (a.owner[srcOffset + r] !== part) continue;
    for (let e = indptr[r]; e < indptr[r + 1]; e++, q++) {
      idx[q] = indices[e];
      if (pts) pts[q] = ts![e];
      if (pw) pw[q] = w![e];
    }
    out[++row] = q;
  }
  return { numRows: rows, indptr: out, indices: idx, timestamps: pts, weights: pw };
}

/** Copies per-node rows of a fixed byte width from a source file to each owning part's stream. */
/** Each part's values of a per-node array, in the order of the part's rows. */
function rowsOfParts<A extends Int32Array | Uint8Array>(all: A, a: Assignment): A[] {
  return a.nodes.map((ids) => {
    const out = new (all.constructor as new (length: number) => A)(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = all[ids[i]];
    return out;
  });
}

function routeRows(
  file: string,
  rowBytes: number,
  numNodes: number,
  a: Assignment,
  streams: ArrayFileStream[],
  check?: { checksum: string; field: string },
): void {
  const hash = check ? new Xxh32() : undefined;
  const rowsPerRead = Math.max(1, Math.floor((8 << 20) / Math.max(1, rowBytes)));
  const buf = new Uint8Array(rowsPerRead * rowBytes);
  const fd = openSync(file, 'r');
  try {
    for (let v0 = 0; v0 < numNodes; v0 += rowsPerRead) {
      const rows = Math.min(rowsPerRead, numNodes - v0);
      const want = rows * rowBytes;
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buf, got, want - got, v0 * rowBytes + got);
        if (n === 0) throw new GraphFormatError('file ended early', { file });
        got += n;
      }
      hash?.update(buf.subarray(0, want));
      for (let i = 0; i < rows; i++)
        streams[a.owner[v0 + i]].writeRange(buf, i * rowBytes, (i + 1) * rowBytes);
    }
  } finally {
    closeSync(fd);
  }
  if (hash && formatChecksum(hash.digest()) !== check!.checksum)
    throw new GraphFormatError(`checksum mismatch: manifest says ${check!.checksum}`, {
      file,
      field: check!.field,
    });
}

/**
 * Splits the graph in `srcDir` into `parts` parts written to `outDir/part-NNNN`, plus
 * `outDir/partitions.json`. Node v goes to part fmix32(v) mod parts (see partition-rule.ts).
 */
export async function partitionGraph(
  srcDir: string,
  parts: number,
  outDir: string,
  opts: PartitionOptions = {},
): Promise<PartitionsIndex> {
  if (!Number.isInteger(parts) || parts < 1 || parts > 65535)
    throw new ConfigError(`must be an integer in [1, 65535], got ${parts}`, { field: '--parts' });
  const m = readManifest(srcDir);
  if (m.partition)
    throw new GraphFormatError('already a partition; partition the whole graph instead', {
      file: join(srcDir, 'manifest.json'),
      field: 'partition',
    });
  const verify = opts.verifyChecksums !== false;
  const a = assign(m.numNodes, parts);
  return writeGraphDir(outDir, { replace: opts.replace }, async (root) => {
    const subs: GraphWriter[] = [];
    const types: ManifestNodeType[][] = [];
    const edgeTypes: ManifestEdgeType[][] = [];
    for (let p = 0; p < parts; p++) {
      subs.push(root.sub(partDirName(p)));
      types.push(localNodeTypes(m, a, p));
      edgeTypes.push([]);
    }
    for (let k = 0; k < m.edgeTypes.length; k++) {
      opts.onProgress?.('edges', k, m.edgeTypes.length);
      const e = m.edgeTypes[k];
      const c = await readEdgeType(srcDir, m, k, verify);
      const srcOffset = m.nodeTypes.find((t) => t.name === e.src)!.offset;
      for (let p = 0; p < parts; p++) {
        const pe = writeEdgeType(subs[p], e, partRows(c, srcOffset, a, p));
        // A stored link split counts the whole relation's edges: every part carries it unchanged.
        if (e.linkSplit) pe.linkSplit = e.linkSplit;
        edgeTypes[p].push(pe);
      }
    }
    const manifests = subs.map((_s, p) => {
      const pm = baseManifest(types[p], edgeTypes[p], m.source);
      pm.partition = {
        index: p,
        count: parts,
        rule: 'fmix32-mod',
        numNodesGlobal: m.numNodes,
        numEdgesGlobal: m.numEdges,
        nodeTypesGlobal: m.nodeTypes,
        nodes: subs[p].writeArray('nodes.u32', 'u32', a.nodes[p]),
      };
      return pm;
    });
    if (m.features) {
      opts.onProgress?.('features', 0, 1);
      const f = m.features;
      // Sizes are checked up front; checksums while routing, so a damaged source is named.
      for (const [entry, field] of [
        [f.file, 'features.file'],
        [f.scales, 'features.scales'],
      ] as const) {
        if (!entry) continue;
        const path = join(srcDir, entry.path);
        const size = existsSync(path) ? statSync(path).size : -1;
        if (size !== entry.bytes)
          throw new GraphFormatError(
            size < 0 ? 'file is missing' : `file has ${size} bytes, manifest says ${entry.bytes}`,
            { file: path, field },
          );
      }
      const bytes = DTYPE_BYTES[f.file.dtype] * f.dim;
      const streams = subs.map((s) => s.stream(f.file.path, f.file.dtype, 1 << 20));
      routeRows(
        join(srcDir, f.file.path),
        bytes,
        m.numNodes,
        a,
        streams,
        verify ? { checksum: f.file.checksum, field: 'features.file' } : undefined,
      );
      const files = streams.map((s) => s.close());
      let scales: ReturnType<ArrayFileStream['close']>[] | undefined;
      if (f.scales) {
        const ss = subs.map((s) => s.stream(f.scales!.path, 'f32', 1 << 20));
        routeRows(
          join(srcDir, f.scales.path),
          4,
          m.numNodes,
          a,
          ss,
          verify ? { checksum: f.scales.checksum, field: 'features.scales' } : undefined,
        );
        scales = ss.map((s) => s.close());
      }
      manifests.forEach((pm, p) => {
        pm.features = { dim: f.dim, dtype: f.dtype, file: files[p] };
        if (scales) pm.features.scales = scales[p];
      });
    }
    const readWhole = async (entry: FileEntry, field: string) =>
      (await readArrayFile(srcDir, entry, field, { verify, shared: false })).view;
    if (m.labels) {
      const labels = rowsOfParts((await readWhole(m.labels.file, 'labels.file')) as Int32Array, a);
      manifests.forEach((pm, p) => {
        pm.labels = writeLabels(subs[p], labels[p]);
        // A part keeps the whole graph's class count even when it lacks the highest class.
        while (pm.labels.classCounts.length < m.labels!.numClasses) pm.labels.classCounts.push(0);
        pm.labels.numClasses = m.labels!.numClasses;
      });
    }
    if (m.split) {
      const split = rowsOfParts((await readWhole(m.split.file, 'split.file')) as Uint8Array, a);
      manifests.forEach((pm, p) => (pm.split = writeSplit(subs[p], split[p])));
    }
    manifests.forEach((pm, p) => subs[p].writeJson(pm));
    const index: PartitionsIndex = {
      format: PARTITIONS_FORMAT_NAME,
      version: FORMAT_VERSION,
      count: parts,
      rule: 'fmix32-mod',
      numNodes: m.numNodes,
      numEdges: m.numEdges,
      parts: manifests.map((pm, p) => ({
        dir: partDirName(p),
        numNodes: pm.numNodes,
        numEdges: pm.numEdges,
      })),
    };
    root.commit(index, PARTITIONS_FILE);
    return index;
  });
}
