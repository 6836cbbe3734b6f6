// build -> open -> values: hand-written graphs with timestamps and weights, and many random edge lists
// compared with a reference CSR (undirected, dedupe, delimiters, headers); features, labels and split.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../graph-store/build-graph.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { Xoshiro128Float } from '../../runtime/prng.js';
import { SPLIT_NONE, SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from '../../graph-store/types.js';
import { csrRows, referenceRows, tempDir, writeNpy, type RefEdge } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const path = (name: string): string => join(tmp.dir, `${n++}-${name}`);

describe('build round trip', () => {
  it('stores a small temporal weighted graph with rows sorted by time', async () => {
    const edges = path('e.tsv');
    writeFileSync(
      edges,
      [
        'src\tdst\tts\tweight',
        '0\t2\t30\t1.5',
        '0\t1\t10\t2',
        '0\t3\t10\t0.25',
        '2\t0\t5.5\t1',
        '# note',
        '',
        '3\t3\t7\t4',
      ].join('\n'),
    );
    const out = path('g');
    const m = await buildGraph({ edges, out });
    expect(m.numNodes).toBe(4);
    expect(m.edgeTypes[0].hasTimestamps).toBe(true);
    expect(m.edgeTypes[0].hasWeights).toBe(true);
    const g = await openGraph(out);
    expect(Array.from(g.csr.indptr)).toEqual([0, 3, 3, 4, 5]);
    // Row 0: ts 10 (dst 1), ts 10 (dst 3), ts 30 (dst 2).
    expect(Array.from(g.csr.indices)).toEqual([1, 3, 2, 0, 3]);
    expect(Array.from(g.csr.timestamps!)).toEqual([10, 10, 30, 5.5, 7]);
    expect(Array.from(g.csr.weights!)).toEqual([2, 0.25, 1.5, 1, 4]);
    expect(g.csr.edgeType).toBeUndefined();
    expect(g.nodeTypeOf(3)).toBe(0);
  });

  it('reads comma and space separated files and a weight-only column', async () => {
    const a = path('a.csv');
    writeFileSync(a, 'from,to,weight\r\n1,0,3\r\n0,1,2\r\n');
    const ga = await openGraph(
      (await buildGraph({ edges: a, out: path('ga') }), join(tmp.dir, `${n - 1}-ga`)),
    );
    expect(ga.csr.timestamps).toBeUndefined();
    expect(Array.from(ga.csr.weights!)).toEqual([2, 3]);
    const b = path('b.txt');
    writeFileSync(b, '  0   1  \n1 2\n\n2 0\n');
    const outB = path('gb');
    await buildGraph({ edges: b, out: outB });
    const gb = await openGraph(outB);
    expect(Array.from(gb.csr.indices)).toEqual([1, 2, 0]);
    const c = path('c.tsv');
    writeFileSync(c, '0\t1\t9\n1\t0\t8\n');
    const outC = path('gc');
    await buildGraph({ edges: c, out: outC, weightCol: 2 });
    const gc = await openGraph(outC);
    expect(gc.csr.timestamps).toBeUndefined();
    expect(Array.from(gc.csr.weights!)).toEqual([9, 8]);
  });

  it('tolerates blanks around fields, CRLF and comments between data lines', async () => {
    const edges = path('blank.tsv');
    writeFileSync(edges, '0\t1\t5\r\n 1\t2\t6\n2 \t 0\t7 \n# c\n\n3\t0\t1.25e1\n003\t1\t+8\n');
    const out = path('g');
    await buildGraph({ edges, out });
    const g = await openGraph(out);
    expect(Array.from(g.csr.indptr)).toEqual([0, 1, 2, 3, 5]);
    expect(Array.from(g.csr.indices)).toEqual([1, 2, 0, 1, 0]);
    expect(Array.from(g.csr.timestamps!)).toEqual([5, 6, 7, 8, 12.5]);
  });

  it('matches a reference CSR on random edge lists', async () => {
    for (let seed = 1; seed <= 24; seed++) {
      const rng = new Xoshiro128Float(seed);
      const numNodes = 1 + rng.below(40);
      const m = 1 + rng.below(150);
      const withTs = rng.next() < 0.5;
      const withW = rng.next() < 0.4;
      const undirected = rng.next() < 0.5;
      const dedupe = rng.next() < 0.4;
      const delim = ['\t', ',', ' '][rng.below(3)];
      const header = rng.next() < 0.3;
      const list: RefEdge[] = [];
      const lines: string[] = [];
      if (header)
        lines.push(
          ['src', 'dst', ...(withTs ? ['time'] : []), ...(withW ? ['weight'] : [])].join(delim),
        );
      for (let i = 0; i < m; i++) {
        const e: RefEdge = { src: rng.below(numNodes), dst: rng.below(numNodes) };
        // Repeat some edges exactly, to exercise the duplicate rules.
        if (list.length > 0 && rng.next() < 0.15) Object.assign(e, list[rng.below(list.length)]);
        else {
          if (withTs) e.ts = rng.below(6) * 0.5;
          if (withW) e.w = Math.fround(0.25 + rng.below(8));
        }
        list.push({ ...e });
        const cols = [e.src, e.dst, ...(withTs ? [e.ts] : []), ...(withW ? [e.w] : [])];
        lines.push(cols.join(delim));
      }
      const edges = path('r.txt');
      writeFileSync(edges, lines.join('\n') + (rng.next() < 0.5 ? '\n' : ''));
      const out = path('rg');
      const maxId = Math.max(...list.map((e) => Math.max(e.src, e.dst)));
      await buildGraph({
        edges,
        out,
        undirected,
        dedupe,
        numNodes: numNodes,
        weightCol: withW && !withTs && !header ? 2 : undefined,
      });
      const g = await openGraph(out);
      const want = referenceRows(numNodes, list, { undirected, dedupe });
      const got = csrRows(g.csr);
      expect(got, `seed ${seed}`).toEqual(want);
      expect(g.numNodes).toBeGreaterThan(maxId);
    }
  });

  it('stores npy and text features, labels and split', async () => {
    const edges = path('e.tsv');
    writeFileSync(edges, '0\t1\n1\t2\n');
    const values = [0.5, -1, 2, 3.25, 1e-3, -7, 8, 9, 10, 11, 12, 13];
    const npy = path('f.npy');
    writeNpy(npy, values, [4, 3], 'float64');
    const labels = path('labels.tsv');
    writeFileSync(labels, 'node\tlabel\n0\t2\n3\t0\n');
    const split = path('split.tsv');
    writeFileSync(split, '0\ttrain\n1\tval\n3\ttest\n');
    const out = path('g');
    const m = await buildGraph({ edges, features: npy, labels, split, out });
    expect(m.numNodes).toBe(4); // the feature rows add isolated node 3
    expect(m.labels).toMatchObject({ numClasses: 3, classCounts: [1, 0, 1] });
    expect(m.split).toMatchObject({ train: 1, val: 1, test: 1 });
    const g = await openGraph(out);
    const buf = new Float32Array(6);
    g.gather([3, 0], 2, buf);
    expect(Array.from(buf)).toEqual([11, 12, 13, 0.5, -1, 2].map(Math.fround));
    expect(Array.from(g.labels!)).toEqual([2, -1, -1, 0]);
    expect(Array.from(g.split!)).toEqual([SPLIT_TRAIN, SPLIT_VAL, SPLIT_NONE, SPLIT_TEST]);
    expect(g.numClasses).toBe(3);

    const csv = path('f.csv');
    writeFileSync(csv, 'a,b\n1,2\n3,4\n5,6\n');
    const out2 = path('g2');
    await buildGraph({ edges, features: csv, out: out2 });
    const g2 = await openGraph(out2);
    expect(g2.dim).toBe(2);
    const b2 = new Float32Array(2);
    g2.gather([2], 1, b2);
    expect(Array.from(b2)).toEqual([5, 6]);
  });

  it('stores float16 and int8 features close to float32', async () => {
    const rng = new Xoshiro128Float(5);
    const rows = 30;
    const dim = 16;
    const values = Array.from({ length: rows * dim }, () => rng.normal());
    const npy = path('f.npy');
    writeNpy(npy, values, [rows, dim]);
    const edges = path('e.tsv');
    writeFileSync(edges, '0\t1\n');
    const stores = await Promise.all(
      (['float32', 'float16', 'int8'] as const).map(async (featureDtype) => {
        const out = path(featureDtype);
        await buildGraph({ edges, features: npy, featureDtype, out });
        return openGraph(out);
      }),
    );
    const ids = Array.from({ length: rows }, (_, i) => rows - 1 - i);
    const [a, b, c] = stores.map((s) => {
      const o = new Float32Array(rows * dim);
      s.gather(ids, rows, o);
      return o;
    });
    expect(stores[1].dtype).toBe('float16');
    expect(stores[2].dtype).toBe('int8');
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(b[i] - a[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(a[i])));
      expect(Math.abs(c[i] - a[i])).toBeLessThan(0.03);
    }
  });

  it('keeps isolated nodes up to --num-nodes', async () => {
    const edges = path('e.tsv');
    writeFileSync(edges, '1\t0\n');
    const out = path('g');
    await buildGraph({ edges, out, numNodes: 5 });
    const g = await openGraph(out);
    expect(Array.from(g.csr.indptr)).toEqual([0, 0, 1, 1, 1, 1]);
  });
});
