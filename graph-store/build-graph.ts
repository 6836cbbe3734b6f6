// `weft graph build`: edge list (+ features, labels, split) -> graph directory. Edges are parsed once
// while counting degrees and spilled as binary, then replayed into a counting-sort CSR; memory beyond the
// output arrays stays bounded. Everything is written to a temporary folder renamed only on success.
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../runtime/errors.js';
import { CsrBuilder, type EdgeChunk } from './csr-builder.js';
import { readEdgeList, type Delimiter, type EdgeListSummary } from './edge-list-reader.js';
import { FeatureSink } from './feature-sink.js';
import { readFeatureCsv } from './features-csv-reader.js';
import { baseManifest, writeEdgeType, writeLabels, writeSplit } from './graph-arrays-writer.js';
import { writeGraphDir, type GraphWriter } from './graph-writer.js';
import type { GraphManifest, ManifestFeatures } from './manifest.js';
import { readLabels, readSplit } from './node-values-reader.js';
import { readNpyHeader, readNpyRows } from './npy.js';
import { partitionGraph } from './partition.js';
import { canonicalizeRows } from './row-sort.js';
import type { FeatureDtype } from './types.js';

export interface BuildGraphOptions {
  edges: string;
  features?: string;
  labels?: string;
  split?: string;
  /** Store both directions of every edge; identical edges (same ends and timestamp) collapse. */
  undirected?: boolean;
  /** Keep one edge per (source, destination) pair: the earliest. */
  dedupe?: boolean;
  /** Node count; ids must be below it. Default: max(largest id + 1, feature rows). */
  numNodes?: number;
  delimiter?: Delimiter;
  header?: boolean;
  tsCol?: number | string;
  weightCol?: number | string;
  featureDtype?: FeatureDtype;
  /**
   * Keep NaN and infinite feature values (counted in the manifest's `features.nonFinite`) instead of
   * refusing the file; a job that samples such a row stops on its non-finite loss (train.onNonFinite).
   */
  allowNonFinite?: boolean;
  /** Also write P hash partitions into `out/parts`. */
  partitions?: number;
  out: string;
  /** Replace `out` if it exists (only once the new graph is complete). */
  replace?: boolean;
  /** Progress per stage: 'edges' and 'features' in bytes or rows, 'csr' and 'write' as 0/1. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

const NODE_TYPE = 'node';
const RELATION = { src: NODE_TYPE, rel: 'to', dst: NODE_TYPE };

function requireFile(file: string | undefined, field: string): void {
  if (file === undefined) return;
  if (!existsSync(file)) throw new InputError('file not found', { file, field });
  if (!statSync(file).isFile()) throw new InputError('not a regular file', { file, field });
}

/** Binary spill of parsed edges, one file per column, replayed in chunks for the fill pass. */
class EdgeSpill {
  private readonly fds: number[] = [];
  private readonly paths: string[];
  constructor(
    dir: string,
    private readonly hasTs: boolean,
    private readonly hasW: boolean,
  ) {
    this.paths = ['src', 'dst', 'ts', 'w'].map((c) => join(dir, `.spill-${c}`));
    this.fds = this.paths.map((p) => openSync(p, 'w+'));
  }

  append(c: EdgeChunk): void {
    write(this.fds[0], c.src.subarray(0, c.count));
    write(this.fds[1], c.dst.subarray(0, c.count));
    if (this.hasTs) write(this.fds[2], c.timestamps!.subarray(0, c.count));
    if (this.hasW) write(this.fds[3], c.weights!.subarray(0, c.count));
  }

  replay(total: number, visit: (c: EdgeChunk) => void): void {
    const cap = 1 << 18;
    const src = new Uint32Array(cap);
    const dst = new Uint32Array(cap);
    const ts = this.hasTs ? new Float64Array(cap) : undefined;
    const w = this.hasW ? new Float32Array(cap) : undefined;
    for (let done = 0; done < total; done += cap) {
      const n = Math.min(cap, total - done);
      read(this.fds[0], src, n, done * 4);
      read(this.fds[1], dst, n, done * 4);
      if (ts) read(this.fds[2], ts, n, done * 8);
      if (w) read(this.fds[3], w, n, done * 4);
      visit({ count: n, src, dst, timestamps: ts, weights: w });
    }
  }

  remove(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds.length = 0;
    for (const p of this.paths) rmSync(p, { force: true });
  }
}

function write(fd: number, a: Uint32Array | Float64Array | Float32Array): void {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let done = 0;
  while (done < b.length) done += writeSync(fd, b, done, b.length - done);
}

function read(
  fd: number,
  a: Uint32Array | Float64Array | Float32Array,
  n: number,
  position: number,
): void {
  const bytes = n * a.BYTES_PER_ELEMENT;
  const b = new Uint8Array(a.buffer, a.byteOffset, bytes);
  let done = 0;
  while (done < bytes) {
    const got = readSync(fd, b, done, bytes - done, position + done);
    if (got === 0) throw new Error('edge spill file ended early');
    done += got;
  }
}

/** Writes features from `file` (.npy or text rows); returns the entry and the row count. */
function writeFeatures(
  w: GraphWriter,
  file: string,
  dtype: FeatureDtype,
  allowNonFinite: boolean,
  onProgress?: (done: number, total: number) => void,
): { entry: ManifestFeatures; rows: number } {
  const finite = { file, allowNonFinite };
  if (extname(file).toLowerCase() === '.npy') {
    const h = readNpyHeader(file);
    const sink = new FeatureSink(w, h.cols, dtype, finite);
    try {
      readNpyRows(file, (values, rows) => sink.writeRows(values, rows), { onProgress });
      return { entry: sink.close(), rows: h.rows };
    } finally {
      sink.discard();
    }
  }
  let sink: FeatureSink | undefined;
  try {
    const r = readFeatureCsv(
      file,
      (values, rows, dim) => {
        sink ??= new FeatureSink(w, dim, dtype, finite);
        sink.writeRows(values, rows);
      },
      { rowsPerChunk: 4096, onProgress, allowNonFinite },
    );
    return { entry: sink!.close(), rows: r.rows };
  } finally {
    sink?.discard();
  }
}

/** Builds a graph directory from text inputs; returns its manifest. */
export async function buildGraph(opts: BuildGraphOptions): Promise<GraphManifest> {
  requireFile(opts.edges, '--edges');
  requireFile(opts.features, '--features');
  requireFile(opts.labels, '--labels');
  requireFile(opts.split, '--split');
  if (
    opts.numNodes !== undefined &&
    !(Number.isSafeInteger(opts.numNodes) && opts.numNodes >= 0 && opts.numNodes < 2 ** 32 - 1)
  )
    throw new InputError(`must be an integer in [0, 2^32 - 1), got ${opts.numNodes}`, {
      field: '--num-nodes',
    });
  // Check the .npy header before the expensive edge pass.
  const npy =
    opts.features && extname(opts.features).toLowerCase() === '.npy'
      ? readNpyHeader(opts.features)
      : undefined;
  if (npy && opts.numNodes !== undefined && npy.rows !== opts.numNodes)
    throw new InputError(`has ${npy.rows} rows, --num-nodes is ${opts.numNodes}`, {
      file: opts.features,
      field: 'shape',
    });
  const progress = opts.onProgress;
  return writeGraphDir(opts.out, { replace: opts.replace }, async (w) => {
    let builder: CsrBuilder | undefined;
    let spill: EdgeSpill | undefined;
    let summary: EdgeListSummary;
    try {
      summary = readEdgeList({
        file: opts.edges,
        delimiter: opts.delimiter,
        header: opts.header,
        tsCol: opts.tsCol,
        weightCol: opts.weightCol,
        numNodes: opts.numNodes,
        numNodesSource: '--num-nodes',
        onChunk: (c) => {
          if (!builder) {
            const hasTs = c.timestamps !== undefined;
            const hasW = c.weights !== undefined;
            builder = new CsrBuilder({
              hasTimestamps: hasTs,
              hasWeights: hasW,
              symmetric: opts.undirected,
            });
            spill = new EdgeSpill(w.tempDir, hasTs, hasW);
          }
          builder.count(c);
          spill!.append(c);
        },
        onProgress: progress && ((d, t) => progress('edges', d, t)),
      });
      if (!builder)
        throw new InputError('no edges in file', { file: opts.edges, field: '--edges' });
      const b: CsrBuilder = builder;

      let features: ManifestFeatures | undefined;
      let featureRows: number | undefined;
      if (opts.features) {
        const f = writeFeatures(
          w,
          opts.features,
          opts.featureDtype ?? 'float32',
          opts.allowNonFinite === true,
          progress && ((d, t) => progress('features', d, t)),
        );
        features = f.entry;
        featureRows = f.rows;
      }
      const numNodes = opts.numNodes ?? Math.max(summary.maxId + 1, featureRows ?? 0);
      if (featureRows !== undefined && featureRows !== numNodes)
        throw new InputError(
          featureRows < numNodes
            ? `has ${featureRows} feature rows but the graph has ${numNodes} nodes (edges use node ${summary.maxId})`
            : `has ${featureRows} feature rows, --num-nodes is ${numNodes}`,
          { file: opts.features, field: npy ? 'shape' : 'rows' },
        );

      progress?.('csr', 0, 1);
      b.allocate(numNodes);
      spill!.replay(summary.edges, (c) => b.fill(c));
      spill!.remove();
      spill = undefined;
      const csr = canonicalizeRows(
        b.finish(),
        opts.dedupe ? 'pair' : opts.undirected ? 'event' : 'none',
      );
      progress?.('csr', 1, 1);

      progress?.('write', 0, 1);
      const edgeType = writeEdgeType(w, RELATION, csr);
      const m = baseManifest([{ name: NODE_TYPE, offset: 0, count: numNodes }], [edgeType], {
        generator: 'weft graph build',
        edges: opts.edges,
        features: opts.features,
        labels: opts.labels,
        split: opts.split,
        undirected: opts.undirected === true,
        dedupe: opts.dedupe === true,
        delimiter: summary.delimiter,
        header: summary.header ?? null,
        timestampColumn: summary.tsCol >= 0 ? summary.tsCol : null,
        weightColumn: summary.weightCol >= 0 ? summary.weightCol : null,
        inputEdges: summary.edges,
      });
      if (features) m.features = features;
      if (opts.labels) m.labels = writeLabels(w, readLabels(opts.labels, numNodes));
      if (opts.split) m.split = writeSplit(w, readSplit(opts.split, numNodes));
      if (opts.partitions !== undefined) {
        w.writeJson(m);
        const dir = 'parts';
        await partitionGraph(w.root, opts.partitions, join(w.root, dir));
        m.partitions = { count: opts.partitions, rule: 'fmix32-mod', dir };
      }
      w.commit(m);
      progress?.('write', 1, 1);
      return m;
    } finally {
      spill?.remove();
    }
  });
}
