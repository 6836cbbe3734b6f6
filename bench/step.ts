// Benchmark of one GraphSAGE training step's compute (2 layers, hidden 128, 64-d input, 8 classes,
// batch 1024, fanouts [15, 10]) on synthetic power-law-shaped blocks: where the time goes, and seeds/s.

import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../kernels/tf/backend.js';
import { GraphSage } from '../kernels/nn/graphsage.js';
import type { SubgraphBatch } from '../kernels/nn/block.js';
import { syntheticBatch } from './synthetic-batch.js';
import { Mulberry32 } from '../runtime/prng.js';
import { csrMean, csrMeanStats } from '../kernels/ops/csr-mean.js';
import { csrMeanFromData } from '../kernels/ops/csr-mean-data.js';
import { opTimes, setOpTiming, type OpTime } from '../kernels/tf/op-timer.js';
import { Adam } from '../kernels/optim/adam.js';
import { gitCommit } from './git-commit.js';

function quantiles(xs: number[]): { median: number; p10: number; p90: number; min: number } {
  const s = xs.slice().sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0] };
}

/** Median CPU milliseconds of this process over n runs of f (steadier than wall time here). */
function timeIt(n: number, f: () => void): ReturnType<typeof quantiles> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    ts.push((c.user + c.system) / 1000);
  }
  return quantiles(ts);
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

interface StepBenchResult {
  backend: BackendName;
  batchSize: number;
  shapes: { numDst: number; numSrc: number; edges: number }[];
  steps: number;
  stepMs: ReturnType<typeof quantiles>;
  /** CPU time of this process per step: less sensitive than wall time to other work on the machine. */
  stepCpuMs: ReturnType<typeof quantiles>;
  seedsPerSecondByCpuTime: number;
  forwardMs: number;
  backwardMs: number;
  copyOutMs: number;
  setParamsMs: number;
  optimizerMs: number;
  seedsPerSecond: number;
  /** Per step, wall ms of each phase (op timer; phases nest inside step.forward/step.backward). */
  breakdownMs: Record<string, number>;
  /** Per step, CPU ms of each phase: the same split, less disturbed by other work. */
  breakdownCpuMs: Record<string, number>;
  transposedAggregationsPerStep: number;
}

/** Runs `steps` training steps on rotating batches, each preceded by setParams as a trainer would. */
function benchSteps(
  backend: BackendName,
  batches: SubgraphBatch[],
  steps: number,
  warmup: number,
): StepBenchResult {
  const numSeeds = batches[0].numSeeds!;
  const model = new GraphSage({
    inDim: 64,
    hiddenDim: 128,
    outDim: 8,
    dropout: 0.5,
    task: { kind: 'node' },
  });
  const params = model.init(1);
  const opt = new Adam({ lr: 1e-3 });
  const states = new Map([...params].map(([k, v]) => [k, opt.createState(v.length)]));
  const labels = Int32Array.from({ length: numSeeds }, (_, i) => i % 8);
  const total: number[] = [];
  const cpu: number[] = [];
  let fwd = 0;
  let bwd = 0;
  let copy = 0;
  let setP = 0;
  let optMs = 0;
  let transposes = 0;
  for (let s = 0; s < warmup + steps; s++) {
    if (s === warmup) setOpTiming(true);
    const batch = batches[s % batches.length];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    model.setParams(params);
    const t1 = performance.now();
    const tc = csrMeanStats.transposeCalls;
    const r = model.forwardBackward(batch, { labels });
    const t2 = performance.now();
    const c1 = process.cpuUsage(c0);
    for (const [k, p] of params) opt.step(p, r.grads.get(k)!, states.get(k)!);
    const t3 = performance.now();
    if (s >= warmup) {
      total.push(t2 - t0);
      cpu.push((c1.user + c1.system) / 1000);
      fwd += r.timingsMs.forward;
      bwd += r.timingsMs.backward;
      copy += r.timingsMs.copyOut;
      setP += t1 - t0;
      optMs += t3 - t2;
      transposes += csrMeanStats.transposeCalls - tc;
    }
  }
  const times: Record<string, OpTime> = opTimes();
  setOpTiming(false);
  model.dispose();
  const stepMs = quantiles(total);
  const cpuMs = quantiles(cpu);
  const breakdownMs: Record<string, number> = {};
  const breakdownCpuMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(times)) {
    breakdownMs[k] = round(v.ms / steps);
    breakdownCpuMs[k] = round(v.cpuMs / steps);
  }
  return {
    backend,
    batchSize: numSeeds,
    shapes: batches[0].blocks.map((b) => ({
      numDst: b.numDst,
      numSrc: b.numSrc,
      edges: b.indices.length,
    })),
    steps,
    stepMs: {
      median: round(stepMs.median),
      p10: round(stepMs.p10),
      p90: round(stepMs.p90),
      min: round(stepMs.min),
    },
    stepCpuMs: {
      median: round(cpuMs.median),
      p10: round(cpuMs.p10),
      p90: round(cpuMs.p90),
      min: round(cpuMs.min),
    },
    seedsPerSecondByCpuTime: Math.round((numSeeds / cpuMs.median) * 1000),
    forwardMs: round(fwd / steps),
    backwardMs: round(bwd / steps),
    copyOutMs: round(copy / steps),
    setParamsMs: round(setP / steps),
    optimizerMs: round(optMs / steps),
    seedsPerSecond: Math.round((numSeeds / stepMs.median) * 1000),
    breakdownMs,
    breakdownCpuMs,
    transposedAggregationsPerStep: transposes / steps,
  };
}

/** Layer-1 aggregation several ways on the same block (CPU ms): fused data op, fused op on a tensor, gather+segment-sum, naive JS. */
function benchAggregation(batch: SubgraphBatch, dim: number, reps: number) {
  const block = batch.blocks[0];
  const { features } = batch;
  const h = tf.tensor2d(features, [block.numSrc, dim]);
  const dstOfEdge = new Int32Array(block.indices.length);
  const deg = new Float32Array(block.numDst);
  for (let i = 0; i < block.numDst; i++) {
    deg[i] = Math.max(1, block.indptr[i + 1] - block.indptr[i]);
    for (let k = block.indptr[i]; k < block.indptr[i + 1]; k++) dstOfEdge[k] = i;
  }
  const idxT = tf.tensor1d(block.indices, 'int32');
  const segT = tf.tensor1d(dstOfEdge, 'int32');
  const degT = tf.tensor2d(deg, [block.numDst, 1]);
  const run = (f: () => tf.Tensor) =>
    timeIt(reps, () => {
      const t = f();
      t.dataSync();
      t.dispose();
    });
  const fusedData = run(() => csrMeanFromData(features, dim, block));
  const fusedTensor = run(() => csrMean(h, block));
  const uploadPlusFused = run(() =>
    tf.tidy(() => csrMean(tf.tensor2d(features, [block.numSrc, dim]), block)),
  );
  const composed = run(() =>
    tf.tidy(() => tf.div(tf.unsortedSegmentSum(tf.gather(h, idxT), segT, block.numDst), degT)),
  );
  const out = new Float32Array(block.numDst * dim);
  const naive = timeIt(reps, () => {
    out.fill(0);
    for (let i = 0; i < block.numDst; i++) {
      const s = block.indptr[i];
      const e = block.indptr[i + 1];
      for (let k = s; k < e; k++) {
        const r = block.indices[k] * dim;
        for (let j = 0; j < dim; j++) out[i * dim + j] += features[r + j];
      }
      const inv = e > s ? 1 / (e - s) : 0;
      for (let j = 0; j < dim; j++) out[i * dim + j] *= inv;
    }
  });
  tf.dispose([h, idxT, segT, degT]);
  return {
    edges: block.indices.length,
    numDst: block.numDst,
    dim,
    csrMeanFromDataMs: round(fusedData.median),
    csrMeanOnTensorMs: round(fusedTensor.median),
    uploadThenCsrMeanMs: round(uploadPlusFused.median),
    gatherUnsortedSegmentSumMs: round(composed.median),
    naiveJsLoopMs: round(naive.median),
  };
}

/** Layer-1 dense forward on wasm (CPU ms): one matmul over [h_dst | mean] vs two matmuls and an add. */
function benchConcatVsTwoMatmuls(numDst: number, dim: number, hidden: number, reps: number) {
  const rng = new Mulberry32(5);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() - 0.5);
  const xs = tf.tensor2d(rand(numDst * dim), [numDst, dim]);
  const xn = tf.tensor2d(rand(numDst * dim), [numDst, dim]);
  const xcat = tf.concat([xs, xn], 1);
  const wsArr = rand(dim * hidden);
  const wnArr = rand(dim * hidden);
  // Fresh weight tensors per call, as after each parameter pull (XNNPACK caches packed weights per tensor).
  // (tidy bodies return nothing: tidy walks a returned container, and a typed array is huge.)
  const oneMatmul = () =>
    tf.tidy(() => {
      const w = tf.concat(
        [tf.tensor2d(wsArr, [dim, hidden]), tf.tensor2d(wnArr, [dim, hidden])],
        0,
      );
      tf.matMul(xcat, w).dataSync();
    });
  const twoMatmuls = () =>
    tf.tidy(() => {
      const ys = tf.matMul(xs, tf.tensor2d(wsArr, [dim, hidden]));
      tf.add(ys, tf.matMul(xn, tf.tensor2d(wnArr, [dim, hidden]))).dataSync();
    });
  // Interleaved so that interference from other work hits both alike.
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < reps; i++) {
    a.push(timeIt(1, oneMatmul).median);
    b.push(timeIt(1, twoMatmuls).median);
  }
  const one = quantiles(a);
  const two = quantiles(b);
  tf.dispose([xs, xn, xcat]);
  return {
    numDst,
    dim,
    hidden,
    oneConcatMatmulMs: round(one.median),
    twoMatmulsPlusAddMs: round(two.median),
  };
}

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  const started = new Date().toISOString();
  const commit = gitCommit();
  const steps = Number(process.env.STEPS ?? 30);
  const common = { numSeeds: 1024, fanouts: [15, 10], featureDim: 64, numNodes: 1_000_000 };
  const typical = [1, 2, 3, 4].map((seed) =>
    syntheticBatch({ ...common, skew: 0.9, lowDegreeFraction: 0.2, seed }),
  );
  const heavy = [1, 2].map((seed) =>
    syntheticBatch({ ...common, skew: 0.7, lowDegreeFraction: 0, seed }),
  );

  const backend = await initBackend('wasm');
  console.log(`backend: ${backend.reason}`);
  const wasmTypical = benchSteps('wasm', typical, steps, 5);
  console.log('wasm typical', JSON.stringify(wasmTypical));
  const wasmHeavy = benchSteps('wasm', heavy, Math.max(10, steps >> 1), 3);
  console.log('wasm heavy', JSON.stringify(wasmHeavy));
  const aggregation = benchAggregation(typical[0], 64, 10);
  console.log('aggregation', JSON.stringify(aggregation));
  const concat = benchConcatVsTwoMatmuls(typical[0].blocks[0].numDst, 64, 128, 20);
  console.log('concat vs two matmuls', JSON.stringify(concat));

  await initBackend('cpu');
  const small = [1, 2].map((seed) =>
    syntheticBatch({ ...common, numSeeds: 256, skew: 0.9, lowDegreeFraction: 0.2, seed }),
  );
  const cpuSmall = benchSteps('cpu', small, 5, 2);
  console.log('cpu batch 256', JSON.stringify(cpuSmall));
  await initBackend('wasm');
  const wasmSmall = benchSteps('wasm', small, 10, 3);
  console.log('wasm batch 256', JSON.stringify(wasmSmall));

  const out = {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: started,
    commit,
    loadavgStart: loadStart,
    loadavgEnd: os.loadavg(),
    note: 'Shared 2-core machine: other work was running, so timings carry interference; medians over steps.',
    backend,
    results: {
      target: { seedsPerSecond: 10000, stepBudgetMs: 90 },
      wasmTypical,
      wasmHeavy,
      aggregationLayer1: aggregation,
      concatVsTwoMatmuls: concat,
      cpuBatch256: cpuSmall,
      wasmBatch256: wasmSmall,
    },
  };
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  fs.mkdirSync(dir, { recursive: true });
  // STEP_OUT names another file, e.g. to keep a WEFT_KERNELS=wasm run beside a native one.
  const file = path.join(dir, process.env.STEP_OUT ?? 'step.json');
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

await main();
