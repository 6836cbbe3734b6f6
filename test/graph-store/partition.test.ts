// Hash partitioning: every node lands in exactly one part (the one fmix32 names), and each part, opened
// alone, holds exactly its nodes' rows, features, labels and split, with neighbours as global ids.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openGraph } from '../../graph-store/open-graph.js';
import { partitionGraph } from '../../graph-store/partition.js';
import { fmix32, partDirName, partOf } from '../../graph-store/partition-rule.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

function rowOf(g: SharedGraph, v: number): number[][] {
  const c = g.csr;
  const out: number[][] = [];
  for (let i = c.indptr[v]; i < c.indptr[v + 1]; i++)
    out.push([c.indices[i], c.timestamps?.[i] ?? -1, c.weights?.[i] ?? -1, c.edgeType?.[i] ?? -1]);
  return out;
}

async function checkParts(full: SharedGraph, dir: string, parts: number): Promise<void> {
  const owner = new Int32Array(full.numNodes).fill(-1);
  let edges = 0;
  const dim = full.dim;
  const a = new Float32Array(dim);
  const b = new Float32Array(dim);
  for (let p = 0; p < parts; p++) {
    const g = await openGraph(join(dir, partDirName(p)));
    const part = g.partition!;
    expect(part.index).toBe(p);
    expect(part.count).toBe(parts);
    expect(part.numNodesGlobal).toBe(full.numNodes);
    expect(g.numNodes).toBe(part.globalIds.length);
    edges += g.numEdges;
    for (let i = 0; i < g.numNodes; i++) {
      const v = part.globalIds[i];
      expect(owner[v]).toBe(-1);
      owner[v] = p;
      expect(partOf(v, parts)).toBe(p);
      expect(part.localOf(v)).toBe(i);
      expect(g.nodeTypes[g.nodeTypeOf(i)].name).toBe(full.nodeTypes[full.nodeTypeOf(v)].name);
      expect(rowOf(g, i)).toEqual(rowOf(full, v));
      expect(g.labels?.[i]).toBe(full.labels?.[v]);
      expect(g.split?.[i]).toBe(full.split?.[v]);
      if (dim > 0) {
        g.gather([i], 1, a);
        full.gather([v], 1, b);
        expect(a).toEqual(b);
      }
    }
    expect(g.numClasses).toBe(full.numClasses);
  }
  expect(Array.from(owner).every((p) => p >= 0)).toBe(true);
  expect(edges).toBe(full.numEdges);
}

describe('partitioning', () => {
  it('uses fmix32 (murmur3 finalizer)', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
    const counts = new Array(4).fill(0);
    for (let v = 0; v < 40_000; v++) counts[partOf(v, 4)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('covers every node of a homogeneous graph exactly once', async () => {
    const src = join(tmp.dir, 'pl');
    await synthPowerlaw({ nodes: 500, edges: 4000, featureDim: 6, classes: 3, seed: 2 }, src, {
      featureDtype: 'int8',
    });
    const out = join(tmp.dir, 'pl-parts');
    const idx = await partitionGraph(src, 3, out);
    expect(idx.count).toBe(3);
    expect(idx.parts.reduce((s, p) => s + p.numNodes, 0)).toBe(500);
    await checkParts(await openGraph(src), out, 3);
  });

  it('covers every node of a heterogeneous temporal graph, and build/synth write parts inline', async () => {
    const src = join(tmp.dir, 'mk');
    await synthMarketplace({ members: 400, seed: 3 }, src, { partitions: 5 });
    const full = await openGraph(src);
    expect(full.manifest.partitions).toEqual({ count: 5, rule: 'fmix32-mod', dir: 'parts' });
    await checkParts(full, join(src, 'parts'), 5);
    expect(existsSync(join(src, 'parts', 'partitions.json'))).toBe(true);
  });

  it('refuses to partition a part or into zero parts', async () => {
    const src = join(tmp.dir, 'small');
    await synthPowerlaw({ nodes: 20, edges: 40, featureDim: 0, classes: 2, seed: 1 }, src, {
      partitions: 2,
    });
    await expect(
      partitionGraph(join(src, 'parts', 'part-0000'), 2, join(tmp.dir, 'x')),
    ).rejects.toThrow(/already a partition/);
    await expect(partitionGraph(src, 0, join(tmp.dir, 'y'))).rejects.toThrow(/--parts/);
    expect(existsSync(join(tmp.dir, 'x'))).toBe(false);
  });
});
