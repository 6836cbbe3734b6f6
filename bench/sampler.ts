// Sampler benchmark: sampled edges per second on one core for each strategy (batch 1024, fanouts
// [15, 10]) on the synth powerlaw graph (directed Chung–Lu), plus feature-gather GB/s for 64-d rows.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Csr, FeatureStore } from '../graph-store/types.js';
import { gatherFloat32, generatePowerlawTopology, PowerlawFeatures } from '../graph-store/index.js';
import { gatherSubgraphFeatures } from '../kernels/sampling/gather.js';
import { createSampler } from '../kernels/sampling/neighbor-sampler.js';
import { Xoshiro128 } from '../runtime/prng.js';
import type { SamplerOptions, SampledSubgraph } from '../kernels/sampling/types.js';
import { gitCommit } from './git-commit.js';

/**
 * Run: npx tsx bench/sampler.ts [--nodes N --edges E --seconds S --strategies uniform,weighted,...].
 * Rates are per CPU second of this process (the per-core figure on a shared machine) and per wall
 * second; results go to bench/results/sampler.json.
 */
const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000000' },
    edges: { type: 'string', default: '20000000' },
    classes: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1024' },
    fanouts: { type: 'string', default: '15,10' },
    seconds: { type: 'string', default: '4' },
    'ppr-epsilon': { type: 'string', default: '1e-4' },
    'ppr-alpha': { type: 'string', default: '0.25' },
    'feature-dim': { type: 'string', default: '64' },
    strategies: { type: 'string', default: 'uniform,weighted,temporal,ppr' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results/sampler.json' },
  },
});

const numNodes = Number(args.nodes);
const numEdges = Number(args.edges);
const numClasses = Number(args.classes);
/** Timestamps span [0, TIME_SPAN) seconds: one year. */
const TIME_SPAN = 365 * 86400;
const batchSize = Number(args.batch);
const fanouts = args.fanouts.split(',').map(Number);
const secondsPerStrategy = Number(args.seconds);
const featureDim = Number(args['feature-dim']);
const benchSeed = Number(args.seed);

/** Sorted uniform draws on [0, span) for one row in O(d): normalised prefix sums of exponentials. */
function ascendingTimes(
  rng: Xoshiro128,
  out: Float64Array,
  start: number,
  end: number,
  span: number,
): void {
  let acc = 0;
  for (let p = start; p < end; p++) {
    acc -= Math.log(rng.nextOpen01());
    out[p] = acc;
  }
  const total = acc - Math.log(rng.nextOpen01());
  for (let p = start; p < end; p++) out[p] = (out[p] / total) * span;
}

/**
 * The graph of `weft graph synth --kind powerlaw` (same generator, same seed, in memory), plus per-edge
 * weights in [0.1, 10) and timestamps over [0, span) ascending within each row, for the weighted and
 * temporal strategies.
 */
function benchGraph(): { csr: Csr; labels: Int32Array; generateSeconds: number } {
  const t = performance.now();
  const topo = generatePowerlawTopology({
    nodes: numNodes,
    edges: numEdges,
    featureDim,
    classes: numClasses,
    seed: benchSeed,
  });
  const generateSeconds = (performance.now() - t) / 1000;
  const { indptr, indices } = topo.csr;
  const rng = new Xoshiro128(benchSeed, 7);
  const weights = new Float32Array(numEdges);
  for (let p = 0; p < numEdges; p++) weights[p] = 0.1 + rng.nextOpen01() * 9.9;
  const timestamps = new Float64Array(numEdges);
  for (let v = 0; v < numNodes; v++)
    ascendingTimes(rng, timestamps, indptr[v], indptr[v + 1], TIME_SPAN);
  const csr: Csr = { numNodes, numEdges, indptr, indices, weights, timestamps };
  return { csr, labels: topo.labels, generateSeconds };
}

function degreeStats(csr: Csr): { max: number; mean: number; isolated: number; p99: number } {
  const degs = new Uint32Array(csr.numNodes);
  let max = 0;
  let isolated = 0;
  for (let v = 0; v < csr.numNodes; v++) {
    const d = csr.indptr[v + 1] - csr.indptr[v];
    degs[v] = d;
    if (d > max) max = d;
    if (d === 0) isolated++;
  }
  degs.sort();
  return {
    max,
    mean: csr.numEdges / csr.numNodes,
    isolated,
    p99: degs[Math.floor(csr.numNodes * 0.99)],
  };
}

interface StrategyResult {
  strategy: string;
  batches: number;
  /** Wall-clock seconds, and process CPU seconds (the honest per-core figure on a shared machine). */
  seconds: number;
  cpuSeconds: number;
  edgesPerCpuSecond: number;
  medianRoundEdgesPerCpuSecond: number;
  bestRoundEdgesPerCpuSecond: number;
  cpuMsPerBatch: number;
  sampledEdges: number;
  sampledNodes: number;
  edgesPerSecond: number;
  nodesPerSecond: number;
  batchesPerSecond: number;
  msPerBatch: number;
  meanEdgesPerBatch: number;
  extra?: Record<string, number | string>;
}

function seedBatches(count: number, rng: Xoshiro128): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = 0; b < count; b++) {
    const s = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) s[i] = rng.below(numNodes);
    out.push(s);
  }
  return out;
}

/**
 * Ablation baseline: the same uniform k-hop sampling as one fused loop per hop (read the row, draw,
 * look up the neighbour, insert it, all per edge), the first design, kept here to measure the
 * two-pass layout against. Output stays in reused scratch (no copies), which favours it.
 */
function fusedUniform(csr: Csr, fanoutList: number[], seed: number): (seeds: Int32Array) => number {
  const { indptr, indices, numNodes: n } = csr;
  const slot = new Int32Array(n).fill(-1);
  const rng = new Xoshiro128(seed);
  let base = 0;
  let nodes = new Int32Array(1 << 16);
  let edges = new Int32Array(1 << 18);
  let rowPtr = new Int32Array(1 << 16);
  const pick = new Int32Array(Math.max(...fanoutList));
  return (seeds) => {
    let count = 0;
    let e = 0;
    for (let i = 0; i < seeds.length; i++) {
      const g = seeds[i];
      if (slot[g] - base < 0) {
        slot[g] = base + count;
        nodes[count++] = g;
      }
    }
    let lo = 0;
    let hi = count;
    for (const k of fanoutList) {
      if (rowPtr.length < hi + 1) rowPtr = growInt32Keep(rowPtr, hi + 1);
      for (let i = lo; i < hi; i++) {
        const g = nodes[i];
        const start = indptr[g];
        const deg = indptr[g + 1] - start;
        const take = deg <= k ? deg : k;
        if (edges.length < e + take) edges = growInt32Keep(edges, e + take);
        if (nodes.length < count + take) nodes = growInt32Keep(nodes, count + take);
        for (let q = 0; q < take; q++) {
          let off = q;
          if (deg > k) {
            // Floyd's algorithm, one draw per pick.
            const j = deg - k + q;
            off = rng.below(j + 1);
            for (let r = 0; r < q; r++) {
              if (pick[r] === off) {
                off = j;
                break;
              }
            }
            pick[q] = off;
          }
          const u = indices[start + off];
          let l = slot[u] - base;
          if (l < 0) {
            l = count;
            slot[u] = base + count;
            nodes[count++] = u;
          }
          edges[e++] = l;
        }
        rowPtr[i + 1] = e;
      }
      lo = hi;
      hi = count;
    }
    base += count;
    return e;
  };
}

function growInt32Keep(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/** Interleaved best-of-rounds edges per CPU second of two batch functions over the same seeds. */
function ablation(
  variants: Record<string, (seeds: Int32Array) => number>,
  seeds: Int32Array[],
  rounds: number,
  roundMs: number,
): Record<string, { bestEdgesPerCpuSecond: number; medianEdgesPerCpuSecond: number }> {
  const rates: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(variants)) {
      let edges = 0;
      let b = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      while (performance.now() - t0 < roundMs) edges += f(seeds[b++ % seeds.length]);
      const cpu = process.cpuUsage(cpu0);
      (rates[name] ??= []).push(edges / ((cpu.user + cpu.system) / 1e6));
    }
  }
  const out: Record<string, { bestEdgesPerCpuSecond: number; medianEdgesPerCpuSecond: number }> =
    {};
  for (const [name, list] of Object.entries(rates)) {
    const sorted = [...list].sort((a, b) => a - b);
    out[name] = {
      bestEdgesPerCpuSecond: sorted[sorted.length - 1],
      medianEdgesPerCpuSecond: sorted[Math.floor(sorted.length / 2)],
    };
  }
  return out;
}

/**
 * Samples batches for `budgetSeconds` in `rounds` equal rounds and reports totals plus per-round
 * CPU-time rates (median and best): on a shared machine the rounds that other work disturbed show
 * up as low outliers instead of dragging one long average.
 */
function measure(
  csr: Csr,
  options: SamplerOptions,
  seeds: Int32Array[],
  times: Float64Array[] | null,
  budgetSeconds: number,
  minBatchesPerRound: number,
  rounds: number,
): { result: StrategyResult; last: SampledSubgraph } {
  const sampler = createSampler(csr, options);
  let b = 0;
  const call = (): SampledSubgraph => {
    const i = b++ % seeds.length;
    return sampler.sample(seeds[i], batchSize, { times: times ? times[i] : undefined });
  };
  // Warm-up: lets V8 optimise the hot loops and the scratch buffers reach their working size.
  let last = call();
  for (let w = 1; w < Math.min(3, minBatchesPerRound + 1); w++) last = call();
  let edges = 0;
  let nodes = 0;
  let batches = 0;
  let wallMs = 0;
  let cpuUs = 0;
  const roundRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let roundEdges = 0;
    let roundBatches = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let elapsedMs = 0;
    while (roundBatches < minBatchesPerRound || elapsedMs < (budgetSeconds * 1000) / rounds) {
      last = call();
      roundEdges += last.blocks[0].indices.length;
      nodes += last.nodes.length;
      roundBatches++;
      elapsedMs = performance.now() - t0;
    }
    const cpu = process.cpuUsage(cpu0);
    const roundCpuUs = cpu.user + cpu.system;
    roundRates.push(roundEdges / (roundCpuUs / 1e6));
    edges += roundEdges;
    batches += roundBatches;
    wallMs += elapsedMs;
    cpuUs += roundCpuUs;
  }
  const sorted = [...roundRates].sort((x, y) => x - y);
  const seconds = wallMs / 1000;
  const cpuSeconds = cpuUs / 1e6;
  return {
    result: {
      strategy: options.strategy,
      batches,
      seconds,
      cpuSeconds,
      sampledEdges: edges,
      sampledNodes: nodes,
      edgesPerSecond: edges / seconds,
      edgesPerCpuSecond: edges / cpuSeconds,
      medianRoundEdgesPerCpuSecond: sorted[Math.floor(sorted.length / 2)],
      bestRoundEdgesPerCpuSecond: sorted[sorted.length - 1],
      nodesPerSecond: nodes / seconds,
      batchesPerSecond: batches / seconds,
      msPerBatch: wallMs / batches,
      cpuMsPerBatch: (cpuSeconds * 1000) / batches,
      meanEdgesPerBatch: edges / batches,
    },
    last,
  };
}

/** A FeatureStore over one dense float32 matrix, gathering with graph-store's float32 kernel. */
function denseFeatureStore(features: Float32Array, dim: number): FeatureStore {
  return {
    dim,
    dtype: 'float32',
    numNodes: features.length / dim,
    gather(ids, count, out, outOffset = 0) {
      gatherFloat32(features, dim, ids, count, out, outOffset);
    },
  };
}

function main(): void {
  const loadavgStart = os.loadavg();
  const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
  let t = performance.now();
  const { csr, labels, generateSeconds } = benchGraph();
  const buildSeconds = (performance.now() - t) / 1000;
  const degrees = degreeStats(csr);
  log(
    `graph: ${numNodes} nodes, ${numEdges} edges in ${buildSeconds.toFixed(1)} s; ${JSON.stringify(degrees)}`,
  );

  const rng = new Xoshiro128(benchSeed, 11);
  const seeds = seedBatches(64, rng);
  // Query times uniform over the year: on average half of each row lies in the past.
  const times = seeds.map(() => {
    const tt = new Float64Array(batchSize);
    for (let i = 0; i < batchSize; i++) tt[i] = TIME_SPAN * rng.nextOpen01();
    return tt;
  });

  const wanted = new Set(args.strategies.split(','));
  const results: StrategyResult[] = [];
  let uniformLast: SampledSubgraph | null = null;
  for (const strategy of ['uniform', 'weighted', 'temporal', 'ppr'] as const) {
    if (!wanted.has(strategy)) continue;
    const options: SamplerOptions = {
      strategy,
      fanouts,
      seed: benchSeed,
      ppr: { alpha: Number(args['ppr-alpha']), epsilon: Number(args['ppr-epsilon']) },
    };
    const isPpr = strategy === 'ppr';
    const { result, last } = measure(
      csr,
      options,
      seeds,
      strategy === 'temporal' ? times : null,
      isPpr ? secondsPerStrategy * 2 : secondsPerStrategy,
      isPpr ? 1 : 5,
      isPpr ? 4 : 8,
    );
    if (isPpr) {
      // Each expanded node is one push source; report sources/s as PPR's own unit.
      const rowsPerBatch = last.blocks[0].numDst;
      result.extra = {
        sourcesPerSecond: (rowsPerBatch * result.batches) / result.seconds,
        pushSourcesPerBatch: rowsPerBatch,
        alpha: Number(args['ppr-alpha']),
        epsilon: Number(args['ppr-epsilon']),
      };
    }
    if (strategy === 'uniform') uniformLast = last;
    results.push(result);
    log(
      `${strategy}: ${(result.edgesPerSecond / 1e6).toFixed(2)} M edges/s wall, ` +
        `${(result.edgesPerCpuSecond / 1e6).toFixed(2)} M/s CPU (rounds: median ` +
        `${(result.medianRoundEdgesPerCpuSecond / 1e6).toFixed(2)}, best ` +
        `${(result.bestRoundEdgesPerCpuSecond / 1e6).toFixed(2)}), ${result.cpuMsPerBatch.toFixed(2)} CPU ms/batch, ` +
        `${Math.round(result.meanEdgesPerBatch)} edges/batch over ${result.batches} batches`,
    );
  }

  // Two-pass layout against the fused loop, and the cost of copying the output out, interleaved
  // so all three see the same machine load.
  let layout: ReturnType<typeof ablation> | null = null;
  if (wanted.has('uniform')) {
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts, seed: benchSeed });
    const viewSampler = createSampler(csr, { strategy: 'uniform', fanouts, seed: benchSeed });
    layout = ablation(
      {
        twoPass: (s) => sampler.sample(s).blocks[0].indices.length,
        twoPassViews: (s) =>
          viewSampler.sample(s, s.length, { copy: false }).blocks[0].indices.length,
        fused: fusedUniform(csr, fanouts, benchSeed),
      },
      seeds,
      7,
      500,
    );
    log(
      `layout (best of 7, CPU time): two-pass ${(layout.twoPass.bestEdgesPerCpuSecond / 1e6).toFixed(2)} M/s, ` +
        `two-pass without output copy ${(layout.twoPassViews.bestEdgesPerCpuSecond / 1e6).toFixed(2)} M/s, ` +
        `fused ${(layout.fused.bestEdgesPerCpuSecond / 1e6).toFixed(2)} M/s`,
    );
  }

  // Output copies: what sample() pays to hand back exact-size arrays instead of views of scratch.
  let copy: Record<string, number> | null = null;
  if (uniformLast) {
    const sub = uniformLast;
    const reps = 200;
    t = performance.now();
    let sink = 0;
    for (let r = 0; r < reps; r++) {
      sink += sub.nodes.slice().length + sub.blocks[0].indptr.slice().length;
      sink += sub.blocks[0].indices.slice().length;
    }
    const msPerBatch = (performance.now() - t) / reps;
    copy = { msPerBatch, bytesPerBatch: 4 * (sink / reps) };
  }

  // Feature gather: 64-d float32 rows of a random matrix for the nodes of uniform samples.
  let gather: Record<string, number> | null = null;
  if (uniformLast) {
    const features = new Float32Array(numNodes * featureDim);
    new PowerlawFeatures(
      { nodes: numNodes, edges: numEdges, featureDim, classes: numClasses, seed: benchSeed },
      labels,
    ).fill(features, numNodes);
    const store = denseFeatureStore(features, featureDim);
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts, seed: benchSeed });
    const subs = seeds.slice(0, 16).map((s) => sampler.sample(s));
    const maxNodes = Math.max(...subs.map((s) => s.nodes.length));
    const out = new Float32Array(maxNodes * featureDim);
    for (const s of subs) gatherSubgraphFeatures(store, s, out);
    let rows = 0;
    let reps = 0;
    t = performance.now();
    while (performance.now() - t < secondsPerStrategy * 500) {
      for (const s of subs) {
        gatherSubgraphFeatures(store, s, out);
        rows += s.nodes.length;
      }
      reps++;
    }
    const seconds = (performance.now() - t) / 1000;
    const bytes = rows * featureDim * 4;
    gather = {
      featureDim,
      rowsPerSecond: rows / seconds,
      gigabytesPerSecond: bytes / seconds / 1e9,
      meanRowsPerBatch: rows / (reps * subs.length),
      msPerBatch: (seconds * 1000) / (reps * subs.length),
    };
    log(
      `gather: ${gather.gigabytesPerSecond.toFixed(2)} GB/s, ${gather.msPerBatch.toFixed(2)} ms/batch`,
    );
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
        generator: `weft graph synth --kind powerlaw --nodes ${numNodes} --edges ${numEdges} --feature-dim ${featureDim} --classes ${numClasses} --seed ${benchSeed} (in memory), plus edge weights and timestamps`,
        nodes: numNodes,
        edges: numEdges,
        generateSeconds,
        buildSeconds,
        degrees,
      },
      batchSize,
      fanouts,
      strategies: results,
      layoutAblation: layout,
      outputCopy: copy,
      gather,
    },
  };
  const outPath = path.resolve(args.out);
  mkdirSync(path.dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${outPath}`);
}

main();
