// The native GEMM against a float64 reference on odd shapes (one row, widths that are not multiples
// of the vector width, k = 0 and k across the 256-row block), every instruction set this CPU has
// giving the same bits, argument checks, and tf.matMul / tf.fused.matMul routed through it on wasm.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels, setNativeEnabled, type NativeIsa } from '../../../kernels/native/addon.js';
import { nativeMatMulActive } from '../../../kernels/native/matmul.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native GEMM tests');

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  relu: boolean;
}

/** op(a)·op(b) (+ bias) (ReLU) in float64, straight from the definition. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Case) {
  const out = new Float64Array(c.m * c.n);
  for (let i = 0; i < c.m; i++)
    for (let j = 0; j < c.n; j++) {
      let s = 0;
      for (let p = 0; p < c.k; p++) {
        const x = c.transA ? a[p * c.m + i] : a[i * c.k + p];
        const y = c.transB ? b[j * c.k + p] : b[p * c.n + j];
        s += x * y;
      }
      if (bias !== null) s += bias[j];
      out[i * c.n + j] = c.relu ? Math.max(0, s) : s;
    }
  return out;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [5, 1, 9],
  [3, 17, 0],
  [0, 8, 4],
  [6, 0, 4],
  [4, 16, 16],
  [9, 33, 31],
  [13, 40, 257],
  [2, 130, 600],
  [37, 8, 64],
  // Columns left over by the vector width (masked lanes): n = 8 classes, 16 + 4, 3.
  [9, 8, 300],
  [6, 20, 5],
  [1, 3, 1000],
];

function cases(): Case[] {
  const out: Case[] = [];
  shapes.forEach(([m, n, k], s) => {
    for (let v = 0; v < 4; v++)
      out.push({
        m,
        n,
        k,
        transA: v % 2 === 1,
        transB: v >= 2,
        bias: (s + v) % 2 === 0,
        relu: (s + v) % 3 === 0,
      });
  });
  return out;
}

function run(c: Case, seed: number) {
  const rng = new Mulberry32(seed);
  const a = randomArray(rng, c.m * c.k, 2);
  const b = randomArray(rng, c.k * c.n, 2);
  const bias = c.bias ? randomArray(rng, c.n, 1) : null;
  const out = new Float32Array(c.m * c.n).fill(Number.NaN);
  addon!.gemm(a, b, out, c.m, c.n, c.k, c.transA, c.transB, bias, c.relu);
  return { out, want: reference(a, b, bias, c) };
}

/** Error relative to the sum of |terms|, the scale of fp32 rounding in a dot product. */
function scaledErr(got: Float32Array, want: Float64Array, c: Case): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (4 * Math.max(1, c.k) + 1);
    worst = Math.max(worst, e);
  }
  return worst;
}

describe.skipIf(addon === null)('native GEMM', () => {
  const isas = (['avx512', 'avx2', 'scalar'] as NativeIsa[]).filter(
    (i) =>
      ['avx512', 'avx2', 'scalar'].indexOf(i) >=
      ['avx512', 'avx2', 'scalar'].indexOf(addon?.bestIsa() ?? 'scalar'),
  );
  afterAll(() => void addon?.isa(addon.bestIsa()));

  it('matches the float64 reference on odd shapes, transposes, bias and ReLU', () => {
    cases().forEach((c, idx) => {
      const { out, want } = run(c, idx + 1);
      expect(out.length).toBe(c.m * c.n);
      expect(scaledErr(out, want, c), JSON.stringify(c)).toBeLessThan(1e-6);
      if (c.k === 0) expect(Array.from(out)).toEqual(Array.from(want, (x) => Math.fround(x)));
    });
  });

  it('gives the same bits on every instruction set and on every call', () => {
    const byIsa = isas.map((isa) => {
      addon!.isa(isa);
      return cases().map((c, idx) => run(c, idx + 1).out);
    });
    for (let i = 1; i < byIsa.length; i++)
      byIsa[i].forEach((out, idx) => expect(out, `${isas[i]} case ${idx}`).toEqual(byIsa[0][idx]));
    addon!.isa(isas[0]);
    cases().forEach((c, idx) => expect(run(c, idx + 1).out).toEqual(byIsa[0][idx]));
  });

  it('writes no value past m·n (the masked columns of the last vector)', () => {
    for (const [m, n, k] of [
      [9, 8, 300],
      [6, 20, 5],
      [3, 1, 2],
    ]) {
      const rng = new Mulberry32(m * n + k);
      const a = randomArray(rng, m * k, 2);
      const b = randomArray(rng, k * n, 2);
      const c = new Float32Array(m * n + 32).fill(-7);
      addon!.gemm(a, b, c, m, n, k, false, false, randomArray(rng, n, 1), true);
      expect(Array.from(c.subarray(m * n))).toEqual(new Array(32).fill(-7));
      expect(c.subarray(0, m * n).every((x) => x >= 0)).toBe(true);
    }
  });

  it('refuses arrays shorter than the shapes say, and unknown instruction sets', () => {
    const a = new Float32Array(6);
    expect(() =>
      addon!.gemm(a, a, new Float32Array(4), 3, 2, 3, false, false, null, false),
    ).toThrow(/a is shorter than m·k/);
    expect(() =>
      addon!.gemm(a, a, new Float32Array(3), 2, 2, 3, false, false, null, false),
    ).toThrow(/c is shorter/);
    expect(() =>
      addon!.gemm(a, a, new Float32Array(4), 2, 2, 3, false, false, new Float32Array(1), false),
    ).toThrow(/bias is shorter/);
    expect(() => addon!.gemm(a, a, a, -1, 2, 3, false, false, null, false)).toThrow(/non-negative/);
    expect(() => addon!.isa('sse9' as NativeIsa)).toThrow(/unsupported instruction set/);
  });
});

describe.skipIf(addon === null)('tf.matMul with native kernels on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => setNativeEnabled(true));

  it('runs matMul in all three layouts and fused matMul natively, close to wasm', () => {
    expect(nativeMatMulActive()).toBe(true);
    const rng = new Mulberry32(7);
    const x = tf.tensor2d(randomArray(rng, 37 * 29), [37, 29]);
    const w = tf.tensor2d(randomArray(rng, 29 * 19), [29, 19]);
    const bias = tf.tensor1d(randomArray(rng, 19));
    const compute = () => [
      tf.matMul(x, w).dataSync(),
      tf.matMul(tf.transpose(x), x, true, true).dataSync(),
      tf.matMul(x, tf.transpose(w), false, true).dataSync(),
      tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }).dataSync(),
      tf.fused.matMul({ a: x, b: w, bias, activation: 'elu' }).dataSync(),
    ];
    const native = tf.tidy(compute);
    setNativeEnabled(false);
    expect(nativeMatMulActive()).toBe(false);
    const wasm = tf.tidy(compute);
    setNativeEnabled(true);
    native.forEach((got, i) => expect(maxRelErr(got, wasm[i]), `product ${i}`).toBeLessThan(1e-5));
    // Native results are its own bits, not wasm's (the kernel really ran): the 29-term sums differ.
    expect(native[0]).not.toEqual(wasm[0]);
    expect(native[4]).toEqual(wasm[4]); // elu is not fused natively: the wasm kernel runs it
  });
});
