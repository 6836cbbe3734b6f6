// Loading: damaged directories (truncated, corrupted, missing files, bad manifests) are named in a
// GraphFormatError; several relations merge into one CSR with edge types, timestamps and weights.
import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../graph-store/build-graph.js';
import { GraphFormatError } from '../../graph-store/errors.js';
import { baseManifest, writeEdgeType } from '../../graph-store/graph-arrays-writer.js';
import { GraphWriter } from '../../graph-store/graph-writer.js';
import type { GraphManifest } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { Xoshiro128Float } from '../../runtime/prng.js';
import type { CsrArrays } from '../../graph-store/row-sort.js';
import { tempDir, writeNpy } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let k = 0;

async function sampleGraph(): Promise<string> {
  const edges = join(tmp.dir, `e${k}.tsv`);
  writeFileSync(edges, '0\t1\t5\n1\t2\t6\n2\t0\t7\n');
  const feats = join(tmp.dir, `f${k}.npy`);
  writeNpy(
    feats,
    Array.from({ length: 12 }, (_, i) => i),
    [3, 4],
  );
  const out = join(tmp.dir, `g${k++}`);
  await buildGraph({ edges, features: feats, out });
  return out;
}

async function openError(dir: string, opts = {}): Promise<GraphFormatError> {
  try {
    await openGraph(dir, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(GraphFormatError);
    return err as GraphFormatError;
  }
  throw new Error('openGraph succeeded on a damaged graph');
}

describe('openGraph on damaged directories', () => {
  it('names a truncated file', async () => {
    const dir = await sampleGraph();
    const f = join(dir, 'edges/node__to__node/indices.u32');
    truncateSync(f, 8);
    const e = await openError(dir);
    expect(e.file).toBe(f);
    expect(e.field).toBe('edgeTypes[0].files.indices');
    expect(e.message).toMatch(/truncated: 8 bytes, manifest says 12/);
  });

  it('names a file that is too long', async () => {
    const dir = await sampleGraph();
    const f = join(dir, 'edges/node__to__node/timestamps.f64');
    appendFileSync(f, Buffer.alloc(8));
    expect((await openError(dir)).file).toBe(f);
  });

  it('names a corrupted file by its checksum, unless checksums are skipped', async () => {
    const dir = await sampleGraph();
    const f = join(dir, 'features.f32');
    const bytes = readFileSync(f);
    bytes[17] ^= 0x40;
    writeFileSync(f, bytes);
    const e = await openError(dir);
    expect(e.file).toBe(f);
    expect(e.message).toMatch(/checksum mismatch/);
    const g = await openGraph(dir, { verifyChecksums: false });
    expect(g.numNodes).toBe(3);
  });

  it('names a missing file', async () => {
    const dir = await sampleGraph();
    const f = join(dir, 'edges/node__to__node/indptr.u32');
    rmSync(f);
    const e = await openError(dir);
    expect(e.file).toBe(f);
    expect(e.message).toMatch(/missing/);
  });

  it('names bad manifest fields', async () => {
    const dir = await sampleGraph();
    const mf = join(dir, 'manifest.json');
    const good = JSON.parse(readFileSync(mf, 'utf8')) as GraphManifest;
    const cases: [(m: GraphManifest) => void, string][] = [
      [(m) => (m.version = 2 as never), 'version'],
      [(m) => (m.format = 'other' as never), 'format'],
      [(m) => (m.numEdges = 4), 'numEdges'],
      [(m) => (m.nodeTypes[0].count = 2), 'nodeTypes'],
      [(m) => (m.edgeTypes[0].dst = 'paper'), 'edgeTypes[0].dst'],
      [(m) => (m.edgeTypes[0].files.indices.bytes = 11), 'edgeTypes[0].files.indices.bytes'],
      [(m) => (m.features!.dtype = 'float64' as never), 'features.dtype'],
      [(m) => delete m.edgeTypes[0].files.timestamps, 'edgeTypes[0].files.timestamps'],
    ];
    for (const [edit, field] of cases) {
      const m = structuredClone(good);
      edit(m);
      writeFileSync(mf, JSON.stringify(m));
      const e = await openError(dir);
      expect(e.field, field).toBe(field);
      expect(e.file).toBe(mf);
    }
    writeFileSync(mf, '{ not json');
    expect((await openError(dir)).message).toMatch(/not valid JSON/);
  });
});

describe('openGraph with several relations', () => {
  it('merges relations into one CSR with types, timestamps and weights', async () => {
    // Node types a: [0, 3), b: [3, 5). Relations a->b (timestamped), a->a (weighted), b->a (plain).
    const rng = new Xoshiro128Float(77);
    const rel = (rows: number, dsts: number[], hasTs: boolean, hasW: boolean): CsrArrays => {
      const indptr = new Uint32Array(rows + 1);
      const idx: number[] = [];
      const ts: number[] = [];
      const w: number[] = [];
      for (let r = 0; r < rows; r++) {
        const row = dsts.filter(() => rng.next() < 0.6);
        const t = row.map(() => 1 + rng.below(4));
        const order = row
          .map((_, i) => i)
          .sort((x, y) => (hasTs ? t[x] - t[y] : 0) || row[x] - row[y]);
        for (const i of order) {
          idx.push(row[i]);
          ts.push(t[i]);
          w.push(0.5 + rng.below(3));
        }
        indptr[r + 1] = idx.length;
      }
      return {
        numRows: rows,
        indptr,
        indices: Uint32Array.from(idx),
        timestamps: hasTs ? Float64Array.from(ts) : undefined,
        weights: hasW ? Float32Array.from(w) : undefined,
      };
    };
    const rels = [
      { src: 'a', rel: 'sees', dst: 'b', csr: rel(3, [3, 4], true, false), srcOff: 0 },
      { src: 'a', rel: 'likes', dst: 'a', csr: rel(3, [0, 1, 2], false, true), srcOff: 0 },
      { src: 'b', rel: 'rev_sees', dst: 'a', csr: rel(2, [0, 1, 2], false, false), srcOff: 3 },
    ];
    const out = join(tmp.dir, 'hetero');
    const w = GraphWriter.create(out);
    const ets = rels.map((r) => writeEdgeType(w, r, r.csr));
    w.commit(
      baseManifest(
        [
          { name: 'a', offset: 0, count: 3 },
          { name: 'b', offset: 3, count: 2 },
        ],
        ets,
      ),
    );
    const g = await openGraph(out);
    expect(g.edgeTypes.map((e) => e.rel)).toEqual(['sees', 'likes', 'rev_sees']);
    expect(g.nodeTypeOf(2)).toBe(0);
    expect(g.nodeTypeOf(3)).toBe(1);
    const { indptr, indices, edgeType, timestamps, weights } = g.csr;
    expect(edgeType).toBeDefined();
    expect(timestamps).toBeDefined();
    expect(weights).toBeDefined();
    for (let v = 0; v < 5; v++) {
      const want: [number, number, number, number][] = [];
      rels.forEach((r, t) => {
        const row = v - r.srcOff;
        if (row < 0 || row >= r.csr.numRows) return;
        for (let i = r.csr.indptr[row]; i < r.csr.indptr[row + 1]; i++)
          want.push([
            r.csr.timestamps ? r.csr.timestamps[i] : 0,
            r.csr.indices[i],
            t,
            r.csr.weights ? r.csr.weights[i] : 1,
          ]);
      });
      want.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
      const got: [number, number, number, number][] = [];
      for (let i = indptr[v]; i < indptr[v + 1]; i++)
        got.push([timestamps![i], indices[i], edgeType![i], weights![i]]);
      expect(got, `row ${v}`).toEqual(want);
    }
  });

  it('refuses to open a folder of partitions', async () => {
    const dir = join(tmp.dir, 'parts-only');
    const w = GraphWriter.create(dir);
    w.commit({ format: 'weft-graph-partitions' }, 'partitions.json');
    await expect(openGraph(dir)).rejects.toThrow(/holds partitions/);
  });
});
