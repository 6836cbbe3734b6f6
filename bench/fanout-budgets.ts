// Per-node fanout budgets against fixed fanouts: sampled edges, distinct nodes and time per batch for
// 'fixed', 'degree' and 'weight' at the same fanouts on a powerlaw graph, uniform and weighted picks.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generatePowerlawTopology } from '../graph-store/synth-powerlaw.js';
import type { Csr } from '../graph-store/types.js';
import { budgetScores, type BudgetMode } from '../kernels/sampling/fanout-budget.js';
import { createSampler } from '../kernels/sampling/neighbor-sampler.js';
import { Xoshiro128 } from '../runtime/prng.js';
import type { SamplingStrategy } from '../kernels/sampling/types.js';
import { gitCommit } from './git-commit.js';

/**
 * Run: npx tsx bench/fanout-budgets.ts [--nodes N --edges E --batches B --fanouts 15,10].
 * Every mode samples the same seed batches with the same batch seeds; times are CPU milliseconds of
 * this process per batch (median of rounds), the honest figure on a shared machine.
 */
const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    edges: { type: 'string', default: '1500000' },
    batch: { type: 'string', default: '1024' },
    batches: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '3' },
    fanouts: { type: 'string', default: '15,10' },
    alpha: { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results/fanout-budgets.json' },
  },
});

const numNodes = Number(args.nodes);
const numEdges = Number(args.edges);
const batchSize = Number(args.batch);
const numBatches = Number(args.batches);
const rounds = Number(args.rounds);
const fanouts = args.fanouts.split(',').map(Number);
const alpha = Number(args.alpha);
const benchSeed = Number(args.seed);

/** Edge weights whose concentration varies by row: w = exp(sigma_v · z), sigma_v uniform in [0, 3). */
function rowConcentratedWeights(csr: Csr, seed: number): Float32Array {
  const rng = new Xoshiro128(seed);
  const w = new Float32Array(csr.numEdges);
  for (let v = 0; v < csr.numNodes; v++) {
    const sigma = 3 * rng.nextOpen01();
    for (let p = csr.indptr[v]; p < csr.indptr[v + 1]; p++) {
      const z =
        Math.sqrt(-2 * Math.log(rng.nextOpen01())) * Math.cos(2 * Math.PI * rng.nextOpen01());
      w[p] = Math.max(1e-6, Math.exp(sigma * z));
    }
  }
  return w;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Row {
  strategy: SamplingStrategy;
  mode: BudgetMode;
  edgesPerBatch: number;
  edgesPerHop: number[];
  nodesPerBatch: number;
  /** Largest number of edges one row drew, over all batches. */
  maxRowEdges: number;
  cpuMsPerBatch: number;
  wallMsPerBatch: number;
  medgesPerCpuSecond: number;
}

function main(): void {
  const loadavgStart = os.loadavg();
  const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
  let t = performance.now();
  const topo = generatePowerlawTopology({
    nodes: numNodes,
    edges: numEdges,
    featureDim: 4,
    classes: 4,
    seed: benchSeed,
  });
  const base: Csr = {
    numNodes,
    numEdges: topo.csr.indices.length,
    indptr: topo.csr.indptr,
    indices: topo.csr.indices,
  };
  const csr: Csr = { ...base, weights: rowConcentratedWeights(base, benchSeed + 1) };
  const generateSeconds = (performance.now() - t) / 1000;
  let maxDeg = 0;
  for (let v = 0; v < numNodes; v++) maxDeg = Math.max(maxDeg, csr.indptr[v + 1] - csr.indptr[v]);
  log(`graph: ${numNodes} nodes, ${csr.numEdges} edges, max degree ${maxDeg}`);

  // The once-per-graph cost of each rule's per-node scores.
  const precomputeMs: Record<string, number> = {};
  for (const mode of ['degree', 'weight'] as const) {
    t = performance.now();
    budgetScores(csr, mode, alpha);
    precomputeMs[mode] = performance.now() - t;
  }

  const seedRng = new Xoshiro128(benchSeed + 2);
  const batches = Array.from({ length: numBatches }, () => {
    const s = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) s[i] = seedRng.below(numNodes);
    return s;
  });

  const results: Row[] = [];
  for (const strategy of ['uniform', 'weighted'] as const) {
    for (const mode of ['fixed', 'degree', 'weight'] as const) {
      const sampler = createSampler(csr, {
        strategy,
        fanouts,
        seed: 7,
        ...(mode === 'fixed' ? {} : { budget: { mode, alpha } }),
      });
      // Warm-up (JIT, scratch growth, score precompute) outside the timed rounds.
      for (let b = 0; b < 3; b++)
        sampler.sample(batches[b], batchSize, { batchSeed: b, copy: false });
      let edges = 0;
      let nodes = 0;
      let maxRowEdges = 0;
      const perHop = new Array<number>(fanouts.length).fill(0);
      const cpu: number[] = [];
      const wall: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const c0 = cpuMs();
        const w0 = performance.now();
        for (let b = 0; b < numBatches; b++) {
          const sub = sampler.sample(batches[b], batchSize, { batchSeed: b, copy: false });
          if (r > 0) continue;
          const top = sub.blocks[0];
          edges += top.indptr[top.numDst];
          nodes += sub.nodes.length;
          const L = sub.blocks.length;
          let lo = 0;
          for (let h = 0; h < L; h++) {
            const hi = sub.blocks[L - 1 - h].numDst;
            perHop[h] += top.indptr[hi] - top.indptr[lo];
            lo = hi;
          }
          for (let i = 0; i < top.numDst; i++)
            maxRowEdges = Math.max(maxRowEdges, top.indptr[i + 1] - top.indptr[i]);
        }
        cpu.push((cpuMs() - c0) / numBatches);
        wall.push((performance.now() - w0) / numBatches);
      }
      const row: Row = {
        strategy,
        mode,
        edgesPerBatch: edges / numBatches,
        edgesPerHop: perHop.map((e) => e / numBatches),
        nodesPerBatch: nodes / numBatches,
        maxRowEdges,
        cpuMsPerBatch: median(cpu),
        wallMsPerBatch: median(wall),
        medgesPerCpuSecond: edges / numBatches / median(cpu) / 1000,
      };
      results.push(row);
      log(
        `${strategy}/${mode}: ${row.edgesPerBatch.toFixed(0)} edges (${row.edgesPerHop.map((e) => e.toFixed(0)).join(' + ')}), ${row.nodesPerBatch.toFixed(0)} nodes, max row ${maxRowEdges}, ${row.cpuMsPerBatch.toFixed(2)} CPU ms/batch`,
      );
    }
  }

  const report = {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(),
    loadavgStart,
    loadavgEnd: os.loadavg(),
    results: {
      graph: {
        generator: `synth powerlaw --nodes ${numNodes} --edges ${numEdges} --seed ${benchSeed} (in memory), edge weights exp(sigma_v·z) with sigma_v uniform in [0, 3)`,
        nodes: numNodes,
        edges: csr.numEdges,
        maxDegree: maxDeg,
        generateSeconds,
      },
      batchSize,
      batches: numBatches,
      rounds,
      fanouts,
      alpha,
      precomputeMs,
      rows: results,
    },
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${args.out}`);
}

main();
