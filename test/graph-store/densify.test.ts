// Cold-start densification: the neighbours exact search must find on a graph small enough to know
// them, the added relation standing apart from the others, the time rule, the provenance of the new
// version, HNSW recall against exact search, and bad parameters refused by name.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as runGraph } from '../../cli/commands/graph.js';
import { buildGraph } from '../../graph-store/build-graph.js';
import { densifyGraph, mayLink, percentileOf } from '../../graph-store/densify.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import {
  DEFAULT_DENSIFY,
  specFieldNames,
  type DensifyOptions,
} from '../../graph-store/densify-options.js';
import { hnswAvailable, hnswNeighbours } from '../../graph-store/hnsw-neighbours.js';
import { readManifest } from '../../graph-store/manifest.js';
import { exactNeighbours, normalizeRows, recallOf } from '../../graph-store/nearest-neighbours.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { Xoshiro128Float } from '../../runtime/prng.js';
import { tempDir, writeNpy } from './helpers.js';

const tmp = tempDir('weft-densify-');
afterAll(tmp.cleanup);
const fields = specFieldNames('densify');

/**
 * Six nodes: 0 and 1 have one out-edge (low), 4 and 5 four (high), 2 and 3 two. Node 0 points like
 * 4 and 1 like 5 in feature space. First activities: 0 at 10, 1 at 30, 4 at 20, 5 at 5.
 */
async function tinyGraph(name: string, timed: boolean): Promise<string> {
  const edges = [
    [0, 2, 10],
    [1, 3, 30],
    [2, 0, 12],
    [2, 1, 12],
    [3, 0, 14],
    [3, 1, 14],
    [4, 0, 20],
    [4, 1, 21],
    [4, 2, 22],
    [4, 3, 23],
    [5, 0, 5],
    [5, 1, 6],
    [5, 2, 7],
    [5, 3, 8],
  ];
  const file = join(tmp.dir, `${name}.tsv`);
  writeFileSync(file, edges.map((e) => (timed ? e : e.slice(0, 2)).join('\t')).join('\n') + '\n');
  const x = [1, 0.1, 0, 0, 0.1, 1, 0, 1, 1, 0, 0.5, 0.5, 1, 0, 0, 0, 1, 0];
  const features = join(tmp.dir, `${name}.npy`);
  writeNpy(features, x, [6, 3]);
  const out = join(tmp.dir, name);
  await buildGraph({ edges: file, features, out, ...(timed ? { tsCol: 2 } : {}) });
  return out;
}

function readU32(file: string): number[] {
  const b = readFileSync(file);
  return Array.from(new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4));
}

const opts = (o: Partial<DensifyOptions>): DensifyOptions => ({ ...DEFAULT_DENSIFY, ...o });

describe('densifyGraph', () => {
  it('adds each low-degree node its most similar high-degree nodes as a relation of its own', async () => {
    const dir = await tinyGraph('plain', false);
    const out = join(tmp.dir, 'plain-d');
    const { manifest, report } = await densifyGraph(dir, opts({ k: 2 }), out, { fields });
    expect(report.degreeThresholds).toEqual({ low: 1, high: 4 });
    expect([report.lowNodes, report.highNodes, report.edgesAdded]).toEqual([2, 2, 4]);
    expect(report.index.used).toBe('exact');
    const keys = manifest.edgeTypes.map((e) => `${e.src}__${e.rel}__${e.dst}`);
    expect(keys).toEqual(['node__to__node', 'node__similar__node']);
    const g = await openGraph(out);
    const added = g.edgeTypes.findIndex((e) => e.rel === 'similar');
    const rowOf = (v: number) => {
      const got: number[] = [];
      for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
        if (g.csr.edgeType![e] === added) got.push(g.csr.indices[e]);
      return got;
    };
    // Sorted by neighbour id within a row (no timestamps); the nearest of each is in the list.
    expect(rowOf(0)).toEqual([4, 5]);
    expect(rowOf(1)).toEqual([4, 5]);
    for (const v of [2, 3, 4, 5]) expect(rowOf(v)).toEqual([]);
    // The parent's edges are untouched.
    const parent = await openGraph(dir);
    expect(g.numEdges - parent.numEdges).toBe(4);
  });

  it('k = 1 picks the nearest by cosine', async () => {
    const dir = join(tmp.dir, 'plain');
    const out = join(tmp.dir, 'plain-k1');
    await densifyGraph(dir, opts({ k: 1 }), out, { fields });
    const e = readManifest(out).edgeTypes[1];
    expect(readU32(join(out, e.files.indices.path))).toEqual([4, 5]);
  });

  it('links a node only to nodes active no later than its own first activity, stamped with theirs', async () => {
    expect([mayLink(10, 20), mayLink(10, 5), mayLink(0, 99), mayLink(30, 30)]).toEqual([
      false,
      true,
      true,
      true,
    ]);
    const dir = await tinyGraph('timed', true);
    const out = join(tmp.dir, 'timed-d');
    const { report } = await densifyGraph(dir, opts({ k: 2 }), out, { fields });
    expect(report.temporal).toBe(true);
    expect(report.shortLists).toBe(1);
    const g = await openGraph(out);
    const added = g.edgeTypes.findIndex((e) => e.rel === 'similar');
    const edgesOf = (v: number) => {
      const got: [number, number][] = [];
      for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
        if (g.csr.edgeType![e] === added) got.push([g.csr.indices[e], g.csr.timestamps![e]]);
      return got;
    };
    // Node 0 appeared at 10: node 4 (first at 20) did not exist yet, node 5 (at 5) did. Each edge
    // carries its neighbour's first activity, so node 0's first interaction (at 10) may use it.
    expect(edgesOf(0)).toEqual([[5, 5]]);
    expect(edgesOf(1).sort()).toEqual([
      [4, 20],
      [5, 5],
    ]);
    // edgeTime 'both': the later of the two ends, hidden from the low node's first interaction.
    const both = join(tmp.dir, 'timed-both');
    await densifyGraph(dir, opts({ k: 2, edgeTime: 'both' }), both, { fields });
    const g2 = await openGraph(both);
    const stamps = Array.from(g2.csr.timestamps!.subarray(g2.csr.indptr[0], g2.csr.indptr[2]));
    expect(stamps.filter((_, i) => g2.csr.edgeType![i] === added).sort()).toEqual([10, 30, 30]);
  });

  it('writes the provenance: parent, parameters, counts and the search used', async () => {
    const out = join(tmp.dir, 'plain-d');
    const m = readManifest(out);
    const src = m.source as {
      generator: string;
      parent: Record<string, unknown>;
      parameters: object;
      result: { index: unknown } & object;
    };
    expect(src.generator).toBe('weft graph densify');
    expect(src.parent.dir).toBe(join(tmp.dir, 'plain'));
    expect(src.parent.manifestChecksum).toMatch(/^xxh32:[0-9a-f]{8}$/);
    expect(src.parameters).toMatchObject({ k: 2, lowPercentile: 30, highPercentile: 90 });
    expect(src.result).toMatchObject({ edgesAdded: 4, lowNodes: 2, highNodes: 2 });
    expect(src.result.index).toEqual({ used: 'exact', recallAtK: 1, recallQueries: 0 });
  });

  it('refuses bad parameters by name, and writes nothing', async () => {
    const dir = join(tmp.dir, 'plain');
    const bad = async (o: Partial<DensifyOptions>, out: string) => {
      await expect(densifyGraph(dir, opts(o), join(tmp.dir, out), { fields })).rejects.toThrow();
      expect(existsSync(join(tmp.dir, out))).toBe(false);
    };
    await expect(
      densifyGraph(dir, opts({ lowPercentile: 95 }), join(tmp.dir, 'x1'), { fields }),
    ).rejects.toThrow(/densify\.lowPercentile.*below highPercentile/);
    await expect(
      densifyGraph(dir, opts({ nodeType: 'member' }), join(tmp.dir, 'x2'), { fields }),
    ).rejects.toThrow(/densify\.nodeType.*unknown node type 'member'.*node/);
    await expect(
      densifyGraph(dir, opts({ k: 0 }), join(tmp.dir, 'x3'), { fields }),
    ).rejects.toThrow(/densify\.k/);
    await expect(
      densifyGraph(dir, opts({ relation: 'to' }), join(tmp.dir, 'x4'), { fields }),
    ).rejects.toThrow(/node__to__node already exists/);
    const wrongRows = join(tmp.dir, 'wrong.npy');
    writeNpy(wrongRows, [1, 2, 3, 4], [2, 2]);
    await expect(
      densifyGraph(dir, opts({ features: wrongRows }), join(tmp.dir, 'x5'), { fields }),
    ).rejects.toThrow(/densify\.features.*2 rows; expected 6/);
    await expect(
      densifyGraph(dir, opts({ degreeRelations: 'to,applied' }), join(tmp.dir, 'x6'), { fields }),
    ).rejects.toThrow(/densify\.degreeRelations.*unknown relation 'applied'.*to/);
    await expect(
      densifyGraph(dir, opts({ edgeTime: 'first' as 'both' }), join(tmp.dir, 'x7'), { fields }),
    ).rejects.toThrow(/densify\.edgeTime.*neighbour, both/);
    for (const o of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']) await bad({ k: -1 }, o);
  });

  it('counts the degree over degreeRelations only', async () => {
    const dir = join(tmp.dir, 'market');
    await synthMarketplace({ members: 600, seed: 2, coldMembers: 0.3 }, dir);
    const out = join(tmp.dir, 'market-d');
    const o = opts({ nodeType: 'member', k: 5, degreeRelations: 'applied', index: 'exact' });
    const { report } = await densifyGraph(dir, o, out, { fields });
    const g = await openGraph(out);
    const applied = g.edgeTypes.find((e) => e.rel === 'applied')!.id;
    const similar = g.edgeTypes.find((e) => e.rel === 'similar')!.id;
    const count = (v: number, type: number) => {
      let n = 0;
      for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
        if (g.csr.edgeType![e] === type) n++;
      return n;
    };
    const apps = Float64Array.from({ length: 600 }, (_, m) => count(m, applied));
    const low = percentileOf(apps, 30);
    expect(report.degreeThresholds).toEqual({ low, high: percentileOf(apps, 90) });
    expect(report.lowNodes).toBe(apps.filter((a) => a <= low).length);
    // Members with few applications get edges however many skills they list; no other member does.
    let densified = 0;
    for (let m = 0; m < 600; m++)
      if (count(m, similar) > 0) {
        densified++;
        expect(apps[m], `member ${m}`).toBeLessThanOrEqual(low);
      }
    expect(densified).toBeGreaterThan(0.9 * report.lowNodes);
  });

  it('takes content embeddings from a .npy file', async () => {
    const dir = join(tmp.dir, 'plain');
    // Embeddings that make node 0 most like 5 and node 1 most like 4.
    const emb = join(tmp.dir, 'emb.npy');
    writeNpy(emb, [1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5, 0, 1, 1, 0], [6, 2]);
    const out = join(tmp.dir, 'emb-d');
    await densifyGraph(dir, opts({ k: 1, features: emb }), out, { fields });
    const e = readManifest(out).edgeTypes[1];
    expect(readU32(join(out, e.files.indices.path))).toEqual([5, 4]);
  });
});

describe('weft graph densify', () => {
  it('writes the version from flags, reports JSON, and names a bad flag', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const out = join(tmp.dir, 'cli-d');
      const argv = [join(tmp.dir, 'plain'), '--out', out, '--k', '1', '--index', 'exact'];
      expect(await runGraph(['densify', ...argv, '--json'])).toBe(0);
      const printed = JSON.parse(String(log.mock.calls.at(-1)![0]));
      expect(printed.report).toMatchObject({ edgesAdded: 2, index: { used: 'exact' } });
      expect(readManifest(out).edgeTypes.map((e) => e.rel)).toEqual(['to', 'similar']);
      await expect(
        runGraph(['densify', join(tmp.dir, 'plain'), '--out', join(tmp.dir, 'cli-x'), '--k', 'x']),
      ).rejects.toThrow(/--k.*expected a number/);
      await expect(
        runGraph([
          'densify',
          join(tmp.dir, 'plain'),
          '--out',
          join(tmp.dir, 'cli-y'),
          '--index',
          'ivf',
        ]),
      ).rejects.toThrow(/--index.*auto, hnsw, exact/);
      expect(existsSync(join(tmp.dir, 'cli-y'))).toBe(false);
    } finally {
      log.mockRestore();
    }
  });
});

describe('nearest neighbours', () => {
  function randomRows(n: number, dim: number, seed: number): Float32Array {
    const rng = new Xoshiro128Float(seed, 1);
    const x = Float32Array.from({ length: n * dim }, () => rng.normal());
    normalizeRows(x, dim);
    return x;
  }

  it('exact search returns the k largest dot products, best first', () => {
    const dim = 8;
    const base = randomRows(300, dim, 1);
    const queries = randomRows(20, dim, 2);
    const got = exactNeighbours({ dim, k: 5, base, numBase: 300, queries, numQueries: 20 });
    for (let q = 0; q < 20; q++) {
      const dots = Array.from({ length: 300 }, (_, b) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += queries[q * dim + d] * base[b * dim + d];
        return [s, b] as const;
      }).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      expect(Array.from(got.rows.subarray(q * 5, q * 5 + 5))).toEqual(
        dots.slice(0, 5).map((x) => x[1]),
      );
    }
  });

  it.skipIf(!hnswAvailable())('HNSW recall@10 against exact search is at least 0.9', () => {
    const dim = 32;
    const n = 3000;
    const base = randomRows(n, dim, 3);
    const queries = randomRows(200, dim, 4);
    const s = { dim, k: 10, base, numBase: n, queries, numQueries: 200 };
    const sample = Int32Array.from({ length: 200 }, (_, i) => i);
    const recall = recallOf(hnswNeighbours(s), exactNeighbours(s), sample);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeLessThanOrEqual(1);
  });
});
