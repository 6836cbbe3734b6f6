// The marketplace's profile-like member content (`memberContent`): it changes only the members'
// feature rows, makes members of one industry each other's content neighbours, and points a member's
// content at the jobs it applied to; a bad strength is refused naming its flag.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateMarketplace,
  synthMarketplace,
  type MarketplaceGraph,
} from '../../graph-store/synth-marketplace.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { configErrorOf } from '../helpers/config-error.js';
import { marketplaceFeatures } from '../helpers/marketplace-features.js';

const work = mkdtempSync(join(os.tmpdir(), 'weft-synth-content-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Cosine of two rows, past the four type-marker columns. */
function cosine(f: Float32Array, D: number, a: number, b: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 4; d < D; d++) {
    ab += f[a * D + d] * f[b * D + d];
    aa += f[a * D + d] ** 2;
    bb += f[b * D + d] ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Share of the first `queries` members whose 10 nearest members (cosine) share their industry. */
function neighbourIndustryShare(g: MarketplaceGraph, queries: number): number {
  const D = g.sizes.featureDim;
  const f = marketplaceFeatures(g);
  let same = 0;
  for (let m = 0; m < queries; m++) {
    const scored: [number, number][] = [];
    for (let u = 0; u < g.sizes.members; u++) if (u !== m) scored.push([cosine(f, D, m, u), u]);
    scored.sort((a, b) => b[0] - a[0]);
    for (let q = 0; q < 10; q++) if (g.labels[scored[q][1]] === g.labels[m]) same++;
  }
  return same / (10 * queries);
}

/** Mean cosine of a member's features to its applied jobs', and to the same number of other jobs. */
function appliedCosine(g: MarketplaceGraph): { applied: number; other: number } {
  const D = g.sizes.featureDim;
  const f = marketplaceFeatures(g);
  const applied = g.relations.find((r) => r.rel === 'applied')!.csr;
  let a = 0;
  let o = 0;
  for (let m = 0; m < g.sizes.members; m++)
    for (let e = applied.indptr[m]; e < applied.indptr[m + 1]; e++) {
      a += cosine(f, D, m, applied.indices[e]);
      o += cosine(f, D, m, g.offsets[1] + ((m * 7919 + e * 31) % g.sizes.jobs));
    }
  return { applied: a / applied.indices.length, other: o / applied.indices.length };
}

describe('marketplace member content', () => {
  it('changes the members feature rows and nothing else', async () => {
    await synthMarketplace({ members: 400, seed: 2 }, join(work, 'off'));
    const m = await synthMarketplace({ members: 400, seed: 2, memberContent: 1 }, join(work, 'on'));
    expect(m.source?.memberContent).toBe(1);
    const off = await openGraph(join(work, 'off'));
    const on = await openGraph(join(work, 'on'));
    expect(Array.from(on.csr.indices)).toEqual(Array.from(off.csr.indices));
    expect(Array.from(on.csr.timestamps!)).toEqual(Array.from(off.csr.timestamps!));
    const members = on.nodeTypes.find((t) => t.name === 'member')!;
    const ids = Int32Array.from({ length: on.numNodes }, (_, v) => v);
    const a = new Float32Array(on.numNodes * on.dim);
    const b = new Float32Array(on.numNodes * on.dim);
    off.gather(ids, ids.length, a);
    on.gather(ids, ids.length, b);
    const rowDiffers = (v: number) =>
      a.subarray(v * on.dim, (v + 1) * on.dim).some((x, d) => x !== b[v * on.dim + d]);
    let changed = 0;
    for (let v = 0; v < on.numNodes; v++) {
      if (v >= members.offset + members.count) expect(rowDiffers(v), `node ${v}`).toBe(false);
      else if (rowDiffers(v)) changed++;
    }
    expect(changed).toBe(members.count);
  });

  it('makes content neighbours share an industry and point at the applied jobs', () => {
    const o = { members: 1500, seed: 7 };
    const base = generateMarketplace(o);
    const strong = generateMarketplace({ ...o, memberContent: 1 });
    // Off: the weak industry signal of old (about a third); strength 1: about four in five.
    const shareOff = neighbourIndustryShare(base, 200);
    const shareOn = neighbourIndustryShare(strong, 200);
    expect(shareOff).toBeLessThan(0.45);
    expect(shareOn).toBeGreaterThan(0.65);
    const cosOff = appliedCosine(base);
    const cosOn = appliedCosine(strong);
    expect(cosOn.applied - cosOn.other).toBeGreaterThan(0.15);
    expect(cosOn.applied - cosOn.other).toBeGreaterThan(1.5 * (cosOff.applied - cosOff.other));
  });

  it('refuses a strength outside [0, 100], naming the flag', () => {
    for (const memberContent of [-1, Number.NaN, 101]) {
      const err = configErrorOf(() => generateMarketplace({ members: 50, seed: 1, memberContent }));
      expect(err.field).toBe('--member-content');
    }
  });
});
