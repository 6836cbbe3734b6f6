// Native kernels against the wasm/JavaScript ones they replace, side by side in one process (the
// same load on the machine for both): GEMM in the three layouts the dense layers use, GFLOP/s; the
// CSR mean and its transposed gradient on layer-1-sized blocks, GB/s. CPU time per call, median, native and wasm calls alternated.

import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernels/tf/backend.js';
import { nativeKernels, nativeStatus, setNativeEnabled } from '../kernels/native/addon.js';
import { matMulNT, matMulTN } from '../kernels/nn/dense.js';
import { CSR_MEAN_GRAD, csrMean, csrMeanAttrs } from '../kernels/ops/csr-mean.js';
import { runKernel1 } from '../kernels/tf/js-kernel.js';
import { Mulberry32 } from '../runtime/prng.js';
import { gitCommit } from './git-commit.js';

/** CPU milliseconds of one call. */
function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function randomTensor(rng: Mulberry32, shape: [number, number]): tf.Tensor2D {
  const v = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < v.length; i++) v[i] = rng.next() * 2 - 1;
  return tf.tensor2d(v, shape);
}

interface Side {
  native: number;
  wasm: number;
}

/**
 * Median CPU time of fn with the native kernels on and off, alternating call by call so that both
 * see the same load on the machine (after one warm-up call each).
 */
function sideBySide(reps: number, fn: () => void): Side {
  const native: number[] = [];
  const wasm: number[] = [];
  for (let i = -1; i < reps; i++) {
    setNativeEnabled(true);
    const n = cpuMs(fn);
    setNativeEnabled(false);
    const w = cpuMs(fn);
    if (i >= 0) {
      native.push(n);
      wasm.push(w);
    }
  }
  setNativeEnabled(true);
  return { native: median(native), wasm: median(wasm) };
}

function gemmBench(rng: Mulberry32, reps: number) {
  // Layer 1 of the step: 10.6k destinations × [h_dst | mean] (128) · W (128 × 128); its weight
  // gradient xᵀ·dz; the input gradient dz·Wᵀ; layer 2's forward (1024 × 256 · 256 × 128).
  const cases = [
    { name: 'A·B (layer-1 forward)', m: 10240, k: 128, n: 128, run: 'nn' },
    { name: 'Aᵀ·B (weight gradient)', m: 128, k: 10240, n: 128, run: 'tn' },
    { name: 'A·Bᵀ (input gradient)', m: 10240, k: 128, n: 128, run: 'nt' },
    { name: 'A·B + bias, ReLU (layer-2 fused)', m: 1024, k: 256, n: 128, run: 'fused' },
  ];
  return cases.map((c) => {
    const a = c.run === 'tn' ? randomTensor(rng, [c.k, c.m]) : randomTensor(rng, [c.m, c.k]);
    const b = c.run === 'nt' ? randomTensor(rng, [c.n, c.k]) : randomTensor(rng, [c.k, c.n]);
    const bias = tf.tensor1d(new Float32Array(c.n).fill(0.1));
    const fn = () =>
      tf.tidy(() => {
        if (c.run === 'nn') tf.matMul(a, b).dataSync();
        else if (c.run === 'tn') matMulTN(a, b).dataSync();
        else if (c.run === 'nt') matMulNT(a, b).dataSync();
        else tf.fused.matMul({ a, b, bias, activation: 'relu' }).dataSync();
      });
    const t = sideBySide(reps, fn);
    const gflop = (2 * c.m * c.n * c.k) / 1e9;
    tf.dispose([a, b, bias]);
    return {
      kernel: c.name,
      shape: `${c.m}×${c.k}·${c.k}×${c.n}`,
      ms: t,
      gflops: { native: gflop / (t.native / 1000), wasm: gflop / (t.wasm / 1000) },
      speedup: t.wasm / t.native,
    };
  });
}

/** A layer-1-sized block: 10.6k destinations, ~9 of up to 10 neighbours each, 58k sources. */
function block(rng: Mulberry32) {
  const numDst = 10600;
  const numSrc = 58000;
  const indptr = new Int32Array(numDst + 1);
  const idx: number[] = [];
  for (let i = 0; i < numDst; i++) {
    const deg = rng.next() < 0.2 ? rng.int(10) : 10;
    for (let k = 0; k < deg; k++) idx.push(rng.int(numSrc));
    indptr[i + 1] = idx.length;
  }
  return { numDst, numSrc, indptr, indices: Int32Array.from(idx) };
}

function csrBench(rng: Mulberry32, reps: number) {
  const b = block(rng);
  const d = 64;
  const h = randomTensor(rng, [b.numSrc, d]);
  const dy = randomTensor(rng, [b.numDst, 2 * d]);
  const edges = b.indices.length;
  // Bytes a pass must move: each edge's neighbour row, plus the output rows.
  const bytes = (edges * d + b.numDst * 2 * d) * 4;
  const fwd = sideBySide(reps, () =>
    tf.tidy(() => void csrMean(h, b, { selfConcat: true }).dataSync()),
  );
  const attrs = csrMeanAttrs(b, { selfConcat: true });
  const bwd = sideBySide(reps, () =>
    tf.tidy(() => void runKernel1(CSR_MEAN_GRAD, { dy }, attrs).dataSync()),
  );
  tf.dispose([h, dy]);
  const row = (kernel: string, t: Side) => ({
    kernel,
    edges,
    dim: d,
    ms: t,
    gbps: { native: bytes / 1e9 / (t.native / 1000), wasm: bytes / 1e9 / (t.wasm / 1000) },
    speedup: t.wasm / t.native,
  });
  return [
    row('CSR mean, selfConcat (forward)', fwd),
    row('CSR mean transposed (gradient), selfConcat', bwd),
  ];
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const loadStart = os.loadavg();
  const reps = Number(process.env.REPS ?? 15);
  const backend = await initBackend('wasm');
  if (nativeKernels() === null)
    throw new Error(`native kernels not available: ${nativeStatus().reason}`);
  console.log(`backend: ${backend.reason}`);
  const rng = new Mulberry32(11);
  const gemm = gemmBench(rng, reps);
  for (const g of gemm) console.log(JSON.stringify(g));
  const csr = csrBench(rng, reps);
  for (const c of csr) console.log(JSON.stringify(c));
  const out = {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: started,
    commit: gitCommit(),
    loadavgStart: loadStart,
    loadavgEnd: os.loadavg(),
    isa: nativeStatus().isa,
    note:
      'Shared 2-core machine under other work: CPU time per call, median of REPS calls, native and ' +
      'wasm calls alternated one by one in one process; ratios are steadier than absolute figures. ' +
      'wasm = tfjs-backend-wasm (XNNPACK, 1 thread) for GEMM as dense.ts calls it, the JavaScript ' +
      'kernels for CSR.',
    reps,
    gemm,
    csr,
  };
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kernels-native.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path.join(dir, 'kernels-native.json')}`);
}

await main();
