// Generators: the same seed gives byte-identical graphs; powerlaw degrees are skewed and features carry
// class signal that neighbours strengthen; marketplace relations mirror their reverses and carry the
// skill structure that makes classification and link prediction learnable.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestFiles, type GraphManifest } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { SPLIT_TEST, SPLIT_TRAIN } from '../../graph-store/types.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

function checksums(m: GraphManifest): Record<string, string> {
  return Object.fromEntries(manifestFiles(m).map(({ field, entry }) => [field, entry.checksum]));
}

/** Nearest-centroid accuracy on test nodes, centroids from train nodes, over the given row vectors. */
function centroidAccuracy(
  rows: Float32Array,
  dim: number,
  nodes: number[],
  g: SharedGraph,
): number {
  const C = g.numClasses;
  const sum = new Float64Array(C * dim);
  const cnt = new Float64Array(C);
  nodes.forEach((v, i) => {
    if (g.split![v] !== SPLIT_TRAIN) return;
    const c = g.labels![v];
    cnt[c]++;
    for (let k = 0; k < dim; k++) sum[c * dim + k] += rows[i * dim + k];
  });
  let right = 0;
  let total = 0;
  nodes.forEach((v, i) => {
    if (g.split![v] !== SPLIT_TEST) return;
    let best = -1;
    let bestD = Infinity;
    for (let c = 0; c < C; c++) {
      if (cnt[c] === 0) continue;
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const x = rows[i * dim + k] - sum[c * dim + k] / cnt[c];
        d += x * x;
      }
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    total++;
    if (best === g.labels![v]) right++;
  });
  return right / total;
}

/** Each node's own features, and the mean over itself and its out-neighbours of `withType` (or all). */
function ownAndAggregated(
  g: SharedGraph,
  nodes: number[],
  withType?: number,
): { own: Float32Array; agg: Float32Array } {
  const dim = g.dim;
  const own = new Float32Array(nodes.length * dim);
  const agg = new Float32Array(nodes.length * dim);
  const row = new Float32Array(dim);
  g.gather(nodes, nodes.length, own);
  nodes.forEach((v, i) => {
    let n = 1;
    for (let k = 0; k < dim; k++) agg[i * dim + k] = own[i * dim + k];
    for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++) {
      if (withType !== undefined && g.csr.edgeType![e] !== withType) continue;
      g.gather([g.csr.indices[e]], 1, row);
      for (let k = 0; k < dim; k++) agg[i * dim + k] += row[k];
      n++;
    }
    for (let k = 0; k < dim; k++) agg[i * dim + k] /= n;
  });
  return { own, agg };
}

describe('powerlaw generator', () => {
  const opts = { nodes: 6000, edges: 72_000, featureDim: 16, classes: 8, seed: 11 };

  it('is deterministic per seed', async () => {
    const a = await synthPowerlaw(opts, join(tmp.dir, 'pa'));
    const b = await synthPowerlaw(opts, join(tmp.dir, 'pb'));
    const c = await synthPowerlaw({ ...opts, seed: 12 }, join(tmp.dir, 'pc'));
    expect(checksums(a)).toEqual(checksums(b));
    expect(checksums(c)['edgeTypes[0].files.indices']).not.toBe(
      checksums(a)['edgeTypes[0].files.indices'],
    );
  });

  it('has exactly E simple edges with a heavy-tailed degree distribution', async () => {
    const g = await openGraph(join(tmp.dir, 'pa'));
    expect(g.numEdges).toBe(opts.edges);
    const { indptr, indices } = g.csr;
    const inDeg = new Uint32Array(g.numNodes);
    const outDeg: number[] = [];
    for (let v = 0; v < g.numNodes; v++) {
      outDeg.push(indptr[v + 1] - indptr[v]);
      for (let i = indptr[v]; i < indptr[v + 1]; i++) {
        expect(indices[i]).not.toBe(v);
        if (i > indptr[v]) expect(indices[i]).toBeGreaterThan(indices[i - 1]); // sorted, no duplicates
        inDeg[indices[i]]++;
      }
    }
    const mean = opts.edges / opts.nodes;
    outDeg.sort((x, y) => x - y);
    expect(outDeg[outDeg.length - 1]).toBeGreaterThan(20 * mean);
    expect(outDeg[outDeg.length >> 1]).toBeLessThan(mean);
    // The top 1% of nodes by in-degree receive a large share of all edges.
    const sortedIn = Array.from(inDeg).sort((x, y) => y - x);
    const top = sortedIn.slice(0, opts.nodes / 100).reduce((s, d) => s + d, 0);
    expect(top / opts.edges).toBeGreaterThan(0.15);
  });

  it('has homophilous edges and features whose class signal neighbours strengthen', async () => {
    const g = await openGraph(join(tmp.dir, 'pa'));
    let same = 0;
    for (let v = 0; v < g.numNodes; v++)
      for (let i = g.csr.indptr[v]; i < g.csr.indptr[v + 1]; i++)
        if (g.labels![g.csr.indices[i]] === g.labels![v]) same++;
    const homophily = same / g.numEdges;
    expect(homophily).toBeGreaterThan(0.65);
    expect(homophily).toBeLessThan(0.9);
    expect(g.manifest.split!.train / g.numNodes).toBeCloseTo(0.6, 1);
    const nodes = Array.from({ length: g.numNodes }, (_, v) => v).filter(
      (v) => g.csr.indptr[v + 1] - g.csr.indptr[v] >= 3,
    );
    const { own, agg } = ownAndAggregated(g, nodes);
    const accOwn = centroidAccuracy(own, g.dim, nodes, g);
    const accAgg = centroidAccuracy(agg, g.dim, nodes, g);
    expect(accOwn).toBeGreaterThan(0.3); // chance is 1/8
    expect(accAgg).toBeGreaterThan(accOwn + 0.15);
  });
});

describe('marketplace generator', () => {
  it('is deterministic per seed and mirrors every relation', async () => {
    const a = await synthMarketplace({ members: 3000, seed: 5 }, join(tmp.dir, 'ma'));
    const b = await synthMarketplace({ members: 3000, seed: 5 }, join(tmp.dir, 'mb'));
    expect(checksums(a)).toEqual(checksums(b));
    expect(a.nodeTypes.map((t) => [t.name, t.count])).toEqual([
      ['member', 3000],
      ['job', 750],
      ['skill', 438],
      ['company', 30],
    ]);
    const g = await openGraph(join(tmp.dir, 'ma'));
    const rel = (name: string): number =>
      g.edgeTypes.findIndex((e) => `${e.src}__${e.rel}__${e.dst}` === name);
    const pairs = (t: number, flip: boolean): string[] => {
      const out: string[] = [];
      for (let v = 0; v < g.numNodes; v++)
        for (let i = g.csr.indptr[v]; i < g.csr.indptr[v + 1]; i++)
          if (g.csr.edgeType![i] === t) {
            const ts = g.csr.timestamps![i];
            out.push(flip ? `${g.csr.indices[i]}>${v}@${ts}` : `${v}>${g.csr.indices[i]}@${ts}`);
          }
      return out.sort();
    };
    for (const e of g.edgeTypes.filter((x) => !x.rel.startsWith('rev_'))) {
      const fwd = rel(`${e.src}__${e.rel}__${e.dst}`);
      const rev = rel(`${e.dst}__rev_${e.rel}__${e.src}`);
      expect(rev).toBeGreaterThanOrEqual(0);
      expect(pairs(rev, true)).toEqual(pairs(fwd, false));
    }
    // Every member works somewhere, has a skill and applied to a job; every job has a poster.
    const counts = (v: number, t: number): number => {
      let n = 0;
      for (let i = g.csr.indptr[v]; i < g.csr.indptr[v + 1]; i++) if (g.csr.edgeType![i] === t) n++;
      return n;
    };
    for (let m = 0; m < 3000; m += 37) {
      expect(counts(m, rel('member__works_at__company'))).toBe(1);
      expect(counts(m, rel('member__has_skill__skill'))).toBeGreaterThan(0);
      expect(counts(m, rel('member__applied__job'))).toBeGreaterThan(0);
    }
    for (let j = 3000; j < 3750; j += 11) expect(counts(j, rel('job__posted_by__company'))).toBe(1);
    expect(g.edgeTypes.find((e) => e.rel === 'applied')!.hasTimestamps).toBe(true);
  });

  it('makes member classes and applications learnable from the graph', async () => {
    const g = await openGraph(join(tmp.dir, 'ma'));
    const hasSkill = g.edgeTypes.findIndex((e) => e.rel === 'has_skill');
    const applied = g.edgeTypes.findIndex((e) => e.rel === 'applied');
    const requires = g.edgeTypes.findIndex((e) => e.rel === 'requires');
    const members = Array.from({ length: 3000 }, (_, m) => m);
    expect(g.numClasses).toBe(8);
    const { own, agg } = ownAndAggregated(g, members, hasSkill);
    const accOwn = centroidAccuracy(own, g.dim, members, g);
    const accAgg = centroidAccuracy(agg, g.dim, members, g);
    expect(accOwn).toBeGreaterThan(0.2);
    expect(accAgg).toBeGreaterThan(accOwn + 0.2);
    // Applied jobs share more skills with the member than jobs drawn at random.
    const skillsOf = (v: number, t: number): Set<number> => {
      const s = new Set<number>();
      for (let i = g.csr.indptr[v]; i < g.csr.indptr[v + 1]; i++)
        if (g.csr.edgeType![i] === t) s.add(g.csr.indices[i]);
      return s;
    };
    let appliedOverlap = 0;
    let randomOverlap = 0;
    let n = 0;
    for (const m of members) {
      const ms = skillsOf(m, hasSkill);
      for (let i = g.csr.indptr[m]; i < g.csr.indptr[m + 1]; i++) {
        if (g.csr.edgeType![i] !== applied) continue;
        const job = g.csr.indices[i];
        for (const s of skillsOf(job, requires)) if (ms.has(s)) appliedOverlap++;
        const other = 3000 + ((job * 7919 + m) % 750);
        for (const s of skillsOf(other, requires)) if (ms.has(s)) randomOverlap++;
        n++;
      }
    }
    expect(appliedOverlap / n).toBeGreaterThan(3 * (randomOverlap / n));
  });
});
