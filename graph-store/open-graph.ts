// Loads a graph directory into SharedArrayBuffers: verifies sizes and checksums, and merges the edge
// types into one homogeneous CSR over global ids (zero copy when there is a single relation).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readArrayFile, type AnyTypedArray } from './array-file.js';
import { GraphFormatError } from './errors.js';
import {
  DTYPE_BYTES,
  MANIFEST_FILE,
  PARTITIONS_FILE,
  readManifest,
  type ArrayDtype,
  type FileEntry,
  type GraphManifest,
} from './manifest.js';
import { sortUnsortedRows } from './row-sort.js';
import { SharedGraph, type GraphHandle, type SharedArrayRef } from './shared-graph.js';
import type { Offsets } from './types.js';

export interface OpenGraphOptions {
  /** Verify every file's XXH32 checksum (default true; sizes are always checked). */
  verifyChecksums?: boolean;
  /** Load node features (default true). */
  features?: boolean;
  /** Progress in bytes read over bytes to read. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

function ref(buffer: ArrayBufferLike, dtype: ArrayDtype, length: number): SharedArrayRef {
  return { buffer: buffer as SharedArrayBuffer, dtype, byteOffset: 0, length };
}

function sharedOf(
  dtype: ArrayDtype,
  length: number,
): { ref: SharedArrayRef; buffer: SharedArrayBuffer } {
  const buffer = new SharedArrayBuffer(length * DTYPE_BYTES[dtype]);
  return { ref: ref(buffer, dtype, length), buffer };
}

/** u64 offsets as float64 (exact below 2^53), in shared memory. */
function u64ToF64(v: BigUint64Array, shared: boolean): Float64Array {
  const out = shared
    ? new Float64Array(new SharedArrayBuffer(v.length * 8))
    : new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

class Loader {
  private done = 0;
  constructor(
    private readonly dir: string,
    private readonly m: GraphManifest,
    private readonly opts: OpenGraphOptions,
    private readonly total: number,
  ) {}

  async read(
    entry: FileEntry,
    field: string,
    shared = true,
  ): Promise<{ buffer: ArrayBufferLike; view: AnyTypedArray }> {
    const base = this.done;
    const r = await readArrayFile(this.dir, entry, field, {
      verify: this.opts.verifyChecksums !== false,
      shared,
      onBytes: (b) => this.opts.onProgress?.(base + b, this.total),
    });
    this.done = base + entry.bytes;
    return r;
  }

  async readOffsets(
    entry: FileEntry,
    field: string,
    shared: boolean,
  ): Promise<{ offsets: Offsets; ref: SharedArrayRef }> {
    const r = await this.read(entry, field, shared);
    if (entry.dtype === 'u32')
      return { offsets: r.view as Uint32Array, ref: ref(r.buffer, 'u32', entry.length) };
    const f = u64ToF64(r.view as BigUint64Array, shared);
    return { offsets: f, ref: ref(f.buffer, 'f64', entry.length) };
  }

  /** The merged CSR arrays. */
  async edges(): Promise<GraphHandle['arrays']> {
    const m = this.m;
    const n = m.numNodes;
    if (m.edgeTypes.length === 0) {
      const indptr = sharedOf('u32', n + 1);
      return { indptr: indptr.ref, indices: sharedOf('u32', 0).ref };
    }
    const only = m.edgeTypes[0];
    const srcType = m.nodeTypes.find((t) => t.name === only.src)!;
    if (m.edgeTypes.length === 1 && srcType.offset === 0 && srcType.count === n) {
      // One relation over all nodes: the stored arrays are the CSR, shared as read.
      const f = only.files;
      const arrays: GraphHandle['arrays'] = {};
      arrays.indptr = (await this.readOffsets(f.indptr, 'edgeTypes[0].files.indptr', true)).ref;
      const idx = await this.read(f.indices, 'edgeTypes[0].files.indices');
      arrays.indices = ref(idx.buffer, 'u32', only.count);
      if (f.timestamps) {
        const t = await this.read(f.timestamps, 'edgeTypes[0].files.timestamps');
        arrays.timestamps = ref(t.buffer, 'f64', only.count);
      }
      if (f.weights) {
        const w = await this.read(f.weights, 'edgeTypes[0].files.weights');
        arrays.weights = ref(w.buffer, 'f32', only.count);
      }
      return arrays;
    }
    return this.mergeEdgeTypes();
  }

  /**
   * Several relations: rows of node v concatenate v's rows of every relation whose source type is v's
   * type, in edge-type order, then rows out of order are sorted. Relations without timestamps get
   * timestamp 0 (always in the past) and relations without weights weight 1 when others have them.
   */
  private async mergeEdgeTypes(): Promise<GraphHandle['arrays']> {
    const m = this.m;
    const n = m.numNodes;
    const numEdges = m.numEdges;
    const anyTs = m.edgeTypes.some((e) => e.hasTimestamps);
    const anyW = m.edgeTypes.some((e) => e.hasWeights);
    const offsets: Offsets[] = [];
    for (let k = 0; k < m.edgeTypes.length; k++)
      offsets.push(
        (await this.readOffsets(m.edgeTypes[k].files.indptr, `edgeTypes[${k}].files.indptr`, false))
          .offsets,
      );
    const wide = numEdges >= 2 ** 32;
    const ptr = sharedOf(wide ? 'f64' : 'u32', n + 1);
    const indptr = (wide ? new Float64Array(ptr.buffer) : new Uint32Array(ptr.buffer)) as Offsets;
    const srcOffset = m.edgeTypes.map((e) => m.nodeTypes.find((t) => t.name === e.src)!.offset);
    m.edgeTypes.forEach((_e, k) => {
      const p = offsets[k];
      const off = srcOffset[k];
      const rows = p.length - 1;
      for (let r = 0; r < rows; r++) indptr[off + r + 1] += p[r + 1] - p[r];
    });
    for (let v = 0; v < n; v++) indptr[v + 1] += indptr[v];
    const cursor = wide ? Float64Array.from(indptr) : Uint32Array.from(indptr as Uint32Array);
    const idxS = sharedOf('u32', numEdges);
    const indices = new Uint32Array(idxS.buffer);
    const etS = sharedOf('u8', numEdges);
    const edgeType = new Uint8Array(etS.buffer);
    const tsS = anyTs ? sharedOf('f64', numEdges) : undefined;
    const ts = tsS ? new Float64Array(tsS.buffer) : undefined;
    const wS = anyW ? sharedOf('f32', numEdges) : undefined;
    const w = wS ? new Float32Array(wS.buffer) : undefined;
    for (let k = 0; k < m.edgeTypes.length; k++) {
      const e = m.edgeTypes[k];
      const f = `edgeTypes[${k}].files`;
      const src = (await this.read(e.files.indices, `${f}.indices`, false)).view as Uint32Array;
      const srcTs = e.files.timestamps
        ? ((await this.read(e.files.timestamps, `${f}.timestamps`, false)).view as Float64Array)
        : undefined;
      const srcW = e.files.weights
        ? ((await this.read(e.files.weights, `${f}.weights`, false)).view as Float32Array)
        : undefined;
      const p = offsets[k];
      const off = srcOffset[k];
      const rows = p.length - 1;
      for (let r = 0; r < rows; r++) {
        const lo = p[r];
        const hi = p[r + 1];
        let q = cursor[off + r];
        for (let i = lo; i < hi; i++, q++) {
          indices[q] = src[i];
          edgeType[q] = k;
          if (ts) ts[q] = srcTs ? srcTs[i] : 0;
          if (w) w[q] = srcW ? srcW[i] : 1;
        }
        cursor[off + r] = q;
      }
    }
    sortUnsortedRows({ numRows: n, indptr, indices, timestamps: ts, weights: w, edgeType }, true);
    const arrays: GraphHandle['arrays'] = { indptr: ptr.ref, indices: idxS.ref, edgeType: etS.ref };
    if (tsS) arrays.timestamps = tsS.ref;
    if (wS) arrays.weights = wS.ref;
    return arrays;
  }
}

/** Bytes openGraph will read for a manifest (for progress and memory planning). */
export function bytesToLoad(m: GraphManifest, withFeatures = true): number {
  let total = 0;
  for (const e of m.edgeTypes) for (const f of Object.values(e.files)) if (f) total += f.bytes;
  if (withFeatures && m.features) total += m.features.file.bytes + (m.features.scales?.bytes ?? 0);
  if (m.labels) total += m.labels.file.bytes;
  if (m.split) total += m.split.file.bytes;
  if (m.partition) total += m.partition.nodes.bytes;
  return total;
}

/**
 * Loads `dir` into shared memory and returns the store. Throws GraphFormatError naming the file when
 * one is missing, truncated or fails its checksum.
 */
/** Bytes of graph arrays this process has loaded into memory (every openGraph call adds its own). */
let loadedBytes = 0;

/** Bytes of graph arrays this process loaded: what it holds of graphs, parts included. */
export function graphBytesLoaded(): number {
  return loadedBytes;
}

export async function openGraph(dir: string, opts: OpenGraphOptions = {}): Promise<SharedGraph> {
  if (!existsSync(join(dir, MANIFEST_FILE)) && existsSync(join(dir, PARTITIONS_FILE)))
    throw new GraphFormatError('this folder holds partitions; open one part (part-NNNN) instead', {
      file: join(dir, PARTITIONS_FILE),
    });
  const m = readManifest(dir);
  const withFeatures = opts.features !== false;
  const loader = new Loader(dir, m, opts, bytesToLoad(m, withFeatures));
  const arrays = await loader.edges();
  if (withFeatures && m.features) {
    const f = await loader.read(m.features.file, 'features.file');
    arrays.features = ref(f.buffer, m.features.file.dtype, m.features.file.length);
    if (m.features.scales) {
      const s = await loader.read(m.features.scales, 'features.scales');
      arrays.featureScales = ref(s.buffer, 'f32', m.numNodes);
    }
  }
  if (m.labels) {
    const l = await loader.read(m.labels.file, 'labels.file');
    arrays.labels = ref(l.buffer, 'i32', m.numNodes);
  }
  if (m.split) {
    const s = await loader.read(m.split.file, 'split.file');
    arrays.split = ref(s.buffer, 'u8', m.numNodes);
  }
  if (m.partition) {
    const p = await loader.read(m.partition.nodes, 'partition.nodes');
    arrays.nodes = ref(p.buffer, 'u32', m.numNodes);
  }
  loadedBytes += bytesToLoad(m, withFeatures);
  return new SharedGraph({ kind: 'weft-graph-handle', dir, manifest: m, arrays });
}
