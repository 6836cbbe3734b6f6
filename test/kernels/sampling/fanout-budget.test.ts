// Per-node fanout budgets: the rule's exact values on hand-built graphs, hubs over leaves, each hop's
// edges at the fixed fanout's on a powerlaw graph, determinism, valid blocks, and the input errors.
import { describe, expect, it } from 'vitest';
import { generatePowerlawTopology } from '../../../graph-store/synth-powerlaw.js';
import type { Csr } from '../../../graph-store/types.js';
import {
  budgetScores,
  FanoutBudget,
  maxBudget,
  nodeSizes,
  roundingOffset,
  type FanoutBudgetOptions,
} from '../../../kernels/sampling/fanout-budget.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SampledSubgraph, SamplerOptions } from '../../../kernels/sampling/types.js';
import { ConfigError } from '../../../runtime/errors.js';
import { check, checkSubgraph, hopEnds } from './check-subgraph.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

/** Rows 0..degs.length-1 point at leaf nodes (which have no edges); row r has degs[r] edges. */
function starsCsr(degs: number[], weights?: number[][]): Csr {
  const rows = degs.length;
  const leaves = Math.max(...degs);
  const n = rows + leaves;
  const indptr = new Uint32Array(n + 1);
  for (let r = 0; r < rows; r++) indptr[r + 1] = indptr[r] + degs[r];
  for (let v = rows; v < n; v++) indptr[v + 1] = indptr[v];
  const m = indptr[n];
  const indices = new Uint32Array(m);
  const w = weights ? new Float32Array(m) : undefined;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < degs[r]; j++) {
      indices[indptr[r] + j] = rows + j;
      if (w) w[indptr[r] + j] = weights![r][j];
    }
  }
  return { numNodes: n, numEdges: m, indptr, indices, weights: w };
}

/** Edge weights whose concentration varies by row: w = exp(sigma_v · z), sigma_v in [0, 3). */
function withRowConcentration(csr: Csr, seed: number): Csr {
  const rng = new TestRng(seed);
  const w = new Float32Array(csr.numEdges);
  for (let v = 0; v < csr.numNodes; v++) {
    const sigma = 3 * rng.next();
    for (let p = csr.indptr[v]; p < csr.indptr[v + 1]; p++) {
      const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      w[p] = Math.max(1e-6, Math.exp(sigma * z));
    }
  }
  return { ...csr, weights: w };
}

function powerlawCsr(nodes: number, edges: number, seed: number): Csr {
  const t = generatePowerlawTopology({ nodes, edges, featureDim: 4, classes: 4, seed });
  return {
    numNodes: nodes,
    numEdges: t.csr.indices.length,
    indptr: t.csr.indptr,
    indices: t.csr.indices,
  };
}

/** Budgets of the frontier `rows` (global ids) with all their edges as candidates. */
function budgetsOf(b: FanoutBudget, csr: Csr, rows: number[], f: number): number[] {
  const nodes = Int32Array.from(rows);
  const avail = Int32Array.from(rows, (v) => csr.indptr[v + 1] - csr.indptr[v]);
  const out = new Int32Array(rows.length);
  b.assign(nodes, 0, rows.length, avail, f, out);
  return [...out];
}

const deg = (csr: Csr, v: number) => csr.indptr[v + 1] - csr.indptr[v];

/** Per hop of a sample: its rows' global ids and how many edges each row sampled. */
function hopRows(sub: SampledSubgraph): { nodes: number[]; taken: number[] }[] {
  const ends = hopEnds(sub);
  const top = sub.blocks[0];
  const out: { nodes: number[]; taken: number[] }[] = [];
  for (let h = 0; h < sub.blocks.length; h++) {
    const lo = h === 0 ? 0 : ends[h - 1];
    const nodes: number[] = [];
    const taken: number[] = [];
    for (let i = lo; i < ends[h]; i++) {
      nodes.push(sub.nodes[i]);
      taken.push(top.indptr[i + 1] - top.indptr[i]);
    }
    out.push({ nodes, taken });
  }
  return out;
}

describe('fanout budgets: the rule', () => {
  it('degree scores are (deg / mean degree)^alpha, 0 without neighbours', () => {
    const csr = starsCsr([1, 9, 25, 49]);
    // Mean over the 4 nodes with neighbours: (1 + 9 + 25 + 49) / 4 = 21.
    const s = budgetScores(csr, 'degree', 0.5);
    [1, 9, 25, 49].forEach((d, v) => expect(s[v]).toBeCloseTo(Math.sqrt(d / 21), 6));
    for (let v = 4; v < csr.numNodes; v++) expect(s[v]).toBe(0);
    const lin = budgetScores(csr, 'degree', 1);
    expect(lin[3]).toBeCloseTo(49 / 21, 5);
    const flat = budgetScores(csr, 'degree', 0);
    expect(flat[0]).toBe(1);
    expect(flat[3]).toBe(1);
  });

  it('weight sizes are exp(entropy) of the normalised weights: d for equal weights, less when concentrated', () => {
    const csr = starsCsr([4, 2, 3, 1], [[2, 2, 2, 2], [3, 1], [1000, 1e-3, 1e-3], [5]]);
    const size = nodeSizes(csr, 'weight');
    expect(size[0]).toBeCloseTo(4, 5);
    // p = (0.75, 0.25): H = -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.562335, exp(H) = 1.754765.
    expect(size[1]).toBeCloseTo(1.754765, 5);
    expect(size[2]).toBeGreaterThanOrEqual(1);
    expect(size[2]).toBeLessThan(1.01);
    expect(size[3]).toBe(1);
    expect(nodeSizes(csr, 'degree')[2]).toBe(3);
  });

  it('budgets of a hand-built frontier: exact values, hubs more than leaves, edges near the fixed fanout', () => {
    const csr = starsCsr([1, 9, 25, 49]);
    const b = FanoutBudget.of(csr, { mode: 'degree', alpha: 0.5 })!;
    // The per-node rounding offsets u of nodes 0..3.
    const u = [0, 1, 2, 3].map(roundingOffset);
    expect(u.map((x) => Number(x.toFixed(4)))).toEqual([0.5926, 0.5537, 0.0844, 0.9866]);
    // f = 5: 5·sqrt(d/21) + u = 1.68, 3.83, 5.54, 8.62 -> floor 1, 3, 5, 8 (min 1, cap 20). Sampled
    // min(k, d) = 1 + 3 + 5 + 8 = 17 against fixed 1 + 5 + 5 + 5 = 16: within one edge, c stays 1.
    expect(budgetsOf(b, csr, [0, 1, 2, 3], 5)).toEqual([1, 3, 5, 8]);
    expect(b.lastScale).toBe(1);
    // Only a leaf and the hub at f = 4: fixed takes 1 + 4 = 5; at c = 1 the rule gives floor(1.47) +
    // floor(7.10) = 1 + 7 = 8, so c becomes 5/8: 4·(5/8)·sqrt(49/21) + u = 4.80 -> 4; 1 + 4 = 5 edges.
    expect(budgetsOf(b, csr, [0, 3], 4)).toEqual([1, 4]);
    expect(b.lastScale).toBeCloseTo(5 / 8, 12);
    // maxScale caps a hub: alpha 1 gives 49/21·10 + u = 24.3 at c = 1; capped at ceil(1.5·10) = 15.
    const capped = FanoutBudget.of(csr, { mode: 'degree', alpha: 1, maxScale: 1.5 })!;
    expect(Math.max(...budgetsOf(capped, csr, [0, 1, 2, 3], 10))).toBe(15);
    // min lifts a leaf, but never above the hop's fanout.
    const floor = FanoutBudget.of(csr, { mode: 'degree', alpha: 1, min: 3 })!;
    expect(budgetsOf(floor, csr, [0, 1, 2, 3], 10)[0]).toBe(3);
    expect(budgetsOf(floor, csr, [0, 1, 2, 3], 2)[0]).toBe(2);
    expect(maxBudget(10, { mode: 'degree', maxScale: 1.5 })).toBe(15);
    expect(maxBudget(10, { mode: 'fixed' })).toBe(10);
    expect(maxBudget(-1, { mode: 'degree' })).toBe(-1);
  });

  it('property: budgets follow clamp(floor(c·f·s + u)), grow with degree, and match the fixed edge count (many seeds)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new TestRng(seed);
      const csr = randomCsr(rng, { numNodes: 400, numEdges: 2000 + rng.int(6000), skew: 1.2 });
      const o: FanoutBudgetOptions = {
        mode: 'degree',
        alpha: rng.next(),
        min: 1 + rng.int(3),
        maxScale: 1 + 5 * rng.next(),
      };
      const b = FanoutBudget.of(csr, o)!;
      const f = 1 + rng.int(20);
      const rows = [...randomSeeds(rng, csr.numNodes, 50 + rng.int(300))];
      const k = budgetsOf(b, csr, rows, f);
      const lo = Math.min(o.min!, f);
      const hi = Math.max(f, Math.ceil(o.maxScale! * f));
      let sampled = 0;
      let target = 0;
      for (let i = 0; i < rows.length; i++) {
        const raw = Math.floor(b.lastScale * f * b.scores[rows[i]] + roundingOffset(rows[i]));
        const want = Math.min(hi, Math.max(lo, raw));
        check(k[i] === want, `seed ${seed} row ${i}: ${k[i]} === ${want}`);
        sampled += Math.min(k[i], deg(csr, rows[i]));
        target += Math.min(f, deg(csr, rows[i]));
        // Rounding offsets can swap neighbours by one draw, never more.
        for (let j = 0; j < i; j++) {
          if (deg(csr, rows[j]) > deg(csr, rows[i])) check(k[j] >= k[i] - 1, 'hub >= leaf');
        }
      }
      expect(Math.abs(sampled - target)).toBeLessThanOrEqual(Math.max(1, 0.005 * target));
    }
  });
});

describe('fanout budgets in the sampler', () => {
  const csr = powerlawCsr(20000, 200000, 5);

  it('each hop samples the fixed fanout edge count on a powerlaw graph; hubs draw more, leaves fewer', () => {
    const fanouts = [15, 10];
    const rng = new TestRng(9);
    const fixed = createSampler(csr, { strategy: 'uniform', fanouts, seed: 3 });
    const budgeted = createSampler(csr, {
      strategy: 'uniform',
      fanouts,
      seed: 3,
      returnEdgeIds: true,
      budget: { mode: 'degree', alpha: 0.5 },
    });
    const ref = FanoutBudget.of(csr, { mode: 'degree', alpha: 0.5 })!;
    let hubRows = 0;
    let hubExtra = 0;
    for (let batch = 0; batch < 5; batch++) {
      const seeds = randomSeeds(rng, csr.numNodes, 1024);
      const a = fixed.sample(seeds, seeds.length, { batchSeed: batch });
      const b = budgeted.sample(seeds, seeds.length, { batchSeed: batch });
      checkSubgraph(csr, b, { fanouts, seeds });
      const hopsA = hopRows(a);
      const hopsB = hopRows(b);
      for (let h = 0; h < fanouts.length; h++) {
        const f = fanouts[h];
        const { nodes, taken } = hopsB[h];
        // Each row took min(k_v, deg_v) with k_v the rule's budget for this very frontier.
        const k = budgetsOf(ref, csr, nodes, f);
        let target = 0;
        let sampled = 0;
        for (let i = 0; i < nodes.length; i++) {
          const d = deg(csr, nodes[i]);
          check(taken[i] === Math.min(k[i], d), `hop ${h} row ${i}: ${taken[i]} vs ${k[i]}, ${d}`);
          sampled += taken[i];
          target += Math.min(f, d);
          if (d >= 4 * f) {
            hubRows++;
            hubExtra += taken[i] - f;
          }
          if (d > 0 && d < f) check(taken[i] <= d, 'a leaf never draws more than fixed');
        }
        // The mean budget over the hop's frontier (draws per row) stays at the fixed fanout's.
        expect(Math.abs(sampled - target) / target).toBeLessThan(0.006);
        if (h === 0) {
          const fixedEdges = hopsA[0].taken.reduce((s, x) => s + x, 0);
          expect(Math.abs(sampled - fixedEdges) / fixedEdges).toBeLessThan(0.006);
        }
      }
    }
    // Rows with at least 4x the fanout in neighbours draw clearly more than the fanout.
    expect(hubRows).toBeGreaterThan(50);
    expect(hubExtra / hubRows).toBeGreaterThan(3);
  });

  it('alpha 0 samples exactly what fixed fanouts do', () => {
    const rng = new TestRng(4);
    for (const strategy of ['uniform', 'weighted'] as const) {
      const g = strategy === 'weighted' ? withRowConcentration(csr, 2) : csr;
      const base: SamplerOptions = { strategy, fanouts: [10, 5], seed: 7 };
      const fixed = createSampler(g, base);
      const flat = createSampler(g, { ...base, budget: { mode: 'degree', alpha: 0 } });
      const seeds = randomSeeds(rng, g.numNodes, 512);
      const a = fixed.sample(seeds, seeds.length, { batchSeed: 11 });
      const b = flat.sample(seeds, seeds.length, { batchSeed: 11 });
      expect(b.nodes).toEqual(a.nodes);
      expect(b.blocks[0].indptr).toEqual(a.blocks[0].indptr);
      expect(b.blocks[0].indices).toEqual(a.blocks[0].indices);
    }
  });

  it('deterministic per batch seed, whatever ran before and in which sampler', () => {
    const g = withRowConcentration(csr, 3);
    for (const [strategy, mode] of [
      ['uniform', 'degree'],
      ['uniform', 'weight'],
      ['weighted', 'degree'],
      ['weighted', 'weight'],
    ] as const) {
      const o: SamplerOptions = { strategy, fanouts: [8, 4], seed: 5, budget: { mode } };
      const s1 = createSampler(g, o);
      const s2 = createSampler(g, o);
      const rng = new TestRng(21);
      const seeds = randomSeeds(rng, g.numNodes, 300);
      const other = randomSeeds(rng, g.numNodes, 300);
      const a = s1.sample(seeds, seeds.length, { batchSeed: 42 });
      s2.sample(other, other.length, { batchSeed: 1 });
      const b = s2.sample(seeds, seeds.length, { batchSeed: 42 });
      expect(b.nodes).toEqual(a.nodes);
      expect(b.blocks[0].indices).toEqual(a.blocks[0].indices);
      const c = s1.sample(seeds, seeds.length, { batchSeed: 43 });
      expect(c.blocks[0].indices).not.toEqual(a.blocks[0].indices);
    }
  });

  it('valid blocks for uniform and weighted, node and edge seeds, with the budgets a row gets (many seeds)', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rng = new TestRng(100 + seed);
      const g = randomCsr(rng, {
        numNodes: 300,
        numEdges: 3000,
        skew: 1,
        weights: true,
        dedupe: seed % 2 === 0,
      });
      const strategy = seed % 3 === 0 ? 'weighted' : 'uniform';
      const mode = seed % 2 === 0 ? 'weight' : 'degree';
      const fanouts = [1 + rng.int(8), 1 + rng.int(6)];
      const sampler = createSampler(g, {
        strategy,
        fanouts,
        seed,
        returnEdgeIds: true,
        budget: { mode, alpha: rng.next(), maxScale: 1 + 3 * rng.next() },
      });
      const seeds = randomSeeds(rng, g.numNodes, 40, true);
      const sub = sampler.sample(seeds, seeds.length, { batchSeed: seed });
      checkSubgraph(g, sub, { fanouts, seeds, simpleGraph: seed % 2 === 0 });
      if (strategy === 'weighted') {
        const w = sub.blocks[0].edgeWeight!;
        for (let j = 0; j < w.length; j++)
          check(w[j] === g.weights![sub.blocks[0].edgeIds![j]], 'weights follow their edges');
      }
      // Seed edges: still hidden from their endpoints' rows under budgets.
      const src = randomSeeds(rng, g.numNodes, 20);
      const dst = Int32Array.from(src, (v) => {
        const d = deg(g, v);
        return d > 0 ? g.indices[g.indptr[v] + rng.int(d)] : (v + 1) % g.numNodes;
      });
      const e = sampler.sampleEdges(src, dst, src.length, { batchSeed: seed });
      const top = e.blocks[0];
      for (let i = 0; i < src.length; i++) {
        for (const [l, other] of [
          [e.srcLocal[i], dst[i]],
          [e.dstLocal[i], src[i]],
        ]) {
          for (let j = top.indptr[l]; j < top.indptr[l + 1]; j++)
            check(e.nodes[top.indices[j]] !== other, `seed edge ${i} hidden`);
        }
      }
    }
  });

  it('temporal sampling takes budgets over its time windows', () => {
    const rng = new TestRng(77);
    const g = randomCsr(rng, { numNodes: 200, numEdges: 4000, skew: 1, timestamps: true });
    const fanouts = [6, 3];
    const sampler = createSampler(g, {
      strategy: 'temporal',
      fanouts,
      budget: { mode: 'degree', alpha: 1, maxScale: 3 },
    });
    const seeds = randomSeeds(rng, g.numNodes, 50);
    const times = Float64Array.from(seeds, () => 10 + rng.int(40));
    const sub = sampler.sample(seeds, seeds.length, { times, batchSeed: 1 });
    checkSubgraph(g, sub, { fanouts, seeds, times });
    const top = sub.blocks[0];
    let maxTaken = 0;
    for (let i = 0; i < sub.numSeeds; i++)
      maxTaken = Math.max(maxTaken, top.indptr[i + 1] - top.indptr[i]);
    expect(maxTaken).toBeGreaterThan(fanouts[0]);
    expect(maxTaken).toBeLessThanOrEqual(3 * fanouts[0]);
  });

  it('rejects what it cannot do, naming the field', () => {
    const g = randomCsr(new TestRng(1), { numNodes: 50, numEdges: 200 });
    const err = (f: () => unknown): ConfigError => {
      try {
        f();
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const weightless = err(() =>
      createSampler(g, { strategy: 'uniform', fanouts: [3], budget: { mode: 'weight' } }),
    );
    expect(weightless).toBeInstanceOf(ConfigError);
    expect(weightless.field).toBe('budget.mode');
    const ppr = err(() =>
      createSampler(g, { strategy: 'ppr', fanouts: [3], budget: { mode: 'degree' } }),
    );
    expect(ppr.field).toBe('budget.mode');
    expect(
      err(() =>
        createSampler(g, {
          strategy: 'uniform',
          fanouts: [3],
          budget: { mode: 'degree', alpha: 2 },
        }),
      ).field,
    ).toBe('budget.alpha');
    expect(
      err(() =>
        createSampler(g, {
          strategy: 'uniform',
          fanouts: [3],
          budget: { mode: 'degree', maxScale: 0.5 },
        }),
      ).field,
    ).toBe('budget.maxScale');
    expect(
      err(() =>
        createSampler(g, { strategy: 'uniform', fanouts: [3], budget: { mode: 'degree', min: 0 } }),
      ).field,
    ).toBe('budget.min');
  });
});
