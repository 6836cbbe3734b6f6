// Shared test helpers for graph-store: temporary folders, .npy writing, and a reference CSR built the
// slow obvious way from an edge list, to compare the fast paths against.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Csr } from '../../graph-store/types.js';

/** A fresh temporary folder; call the returned cleanup in afterEach/afterAll. */
export function tempDir(prefix = 'weft-gs-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a C-order .npy file of float32 or float64 values with the given shape. */
export function writeNpy(
  file: string,
  values: ArrayLike<number>,
  shape: number[],
  dtype: 'float32' | 'float64' = 'float32',
  opts: { descr?: string; fortran?: boolean; truncateBytes?: number } = {},
): void {
  const descr = opts.descr ?? (dtype === 'float32' ? '<f4' : '<f8');
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const data =
    dtype === 'float32'
      ? Buffer.from(Float32Array.from(values).buffer)
      : Buffer.from(Float64Array.from(values).buffer);
  let all = Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
  if (opts.truncateBytes) all = all.subarray(0, all.length - opts.truncateBytes);
  writeFileSync(file, all);
}

export interface RefEdge {
  src: number;
  dst: number;
  ts?: number;
  w?: number;
}

/**
 * Expected rows: per source, edges sorted by (ts, dst) when timestamps exist else by dst; `undirected`
 * adds mirrors and drops identical (src, dst, ts) repeats; `dedupe` keeps the earliest per (src, dst).
 */
export function referenceRows(
  numNodes: number,
  edges: RefEdge[],
  opts: { undirected?: boolean; dedupe?: boolean } = {},
): RefEdge[][] {
  const rows: RefEdge[][] = Array.from({ length: numNodes }, () => []);
  for (const e of edges) {
    rows[e.src].push({ ...e });
    if (opts.undirected && e.src !== e.dst) rows[e.dst].push({ ...e, src: e.dst, dst: e.src });
  }
  const hasTs = edges.some((e) => e.ts !== undefined);
  return rows.map((row) => {
    row.sort((a, b) => a.dst - b.dst || (a.ts ?? 0) - (b.ts ?? 0) || (a.w ?? 0) - (b.w ?? 0));
    let kept = row;
    if (opts.dedupe) kept = row.filter((e, i) => i === 0 || row[i - 1].dst !== e.dst);
    else if (opts.undirected)
      kept = row.filter((e, i) => i === 0 || row[i - 1].dst !== e.dst || row[i - 1].ts !== e.ts);
    if (hasTs)
      kept.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || a.dst - b.dst || (a.w ?? 0) - (b.w ?? 0));
    return kept;
  });
}

/** Rows of a CSR as edge lists, for comparison with referenceRows. */
export function csrRows(csr: Csr): RefEdge[][] {
  const out: RefEdge[][] = [];
  for (let v = 0; v < csr.numNodes; v++) {
    const row: RefEdge[] = [];
    for (let i = csr.indptr[v]; i < csr.indptr[v + 1]; i++) {
      const e: RefEdge = { src: v, dst: csr.indices[i] };
      if (csr.timestamps) e.ts = csr.timestamps[i];
      if (csr.weights) e.w = csr.weights[i];
      row.push(e);
    }
    out.push(row);
  }
  return out;
}
