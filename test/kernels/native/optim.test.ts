// Native Adam, AdamW and Adagrad steps give the bits of the JavaScript updates (same float64
// arithmetic, same order) over many steps, dense and on table rows, and refuse short arrays.

import { afterEach, describe, expect, it } from 'vitest';
import { NATIVE_MIN_RUN, nativeKernels, setNativeEnabled } from '../../../kernels/native/addon.js';
import { Adam, AdamW, LazyAdam } from '../../../kernels/optim/adam.js';
import { Adagrad } from '../../../kernels/optim/adagrad.js';
import type { DenseOptimizer, SparseOptimizer } from '../../../kernels/optim/optimizer.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray } from '../fixtures/random-block.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native optimizer tests');

/** Ten steps of `make()` on fresh copies of the same parameters and gradients. */
function train(make: () => DenseOptimizer, size: number, seed: number) {
  const rng = new Mulberry32(seed);
  const p = randomArray(rng, size, 1);
  const grads = Array.from({ length: 10 }, () => randomArray(rng, size, 0.5));
  const opt = make();
  const state = opt.createState(size);
  for (const g of grads) opt.step(p, g, state);
  return { p, slots: state.slots };
}

/** Ten sparse steps on `touched` random rows (repeats included) of a numRows × width table. */
function trainRows(
  make: () => SparseOptimizer,
  numRows: number,
  width: number,
  touched: number,
  seed: number,
) {
  const rng = new Mulberry32(seed);
  const table = randomArray(rng, numRows * width, 1);
  const opt = make();
  const state = opt.createState(numRows, width);
  for (let s = 0; s < 10; s++) {
    const rows = Int32Array.from({ length: touched }, () => rng.int(numRows));
    opt.stepRows(table, width, rows, randomArray(rng, touched * width, 0.5), state);
  }
  return { table, slots: state.slots };
}

const optimizers: [string, () => DenseOptimizer][] = [
  ['adam', () => new Adam({ lr: 0.01 })],
  ['adam with L2', () => new Adam({ lr: 0.003, weightDecay: 0.1 })],
  ['adamw', () => new AdamW({ lr: 0.01 })],
  ['adagrad', () => new Adagrad({ lr: 0.05, weightDecay: 0.01 })],
];

describe.skipIf(addon === null)('native optimizer updates', () => {
  afterEach(() => setNativeEnabled(true));

  it('give the bits of the JavaScript updates, parameters and moments', () => {
    for (const [name, make] of optimizers) {
      for (const size of [NATIVE_MIN_RUN, NATIVE_MIN_RUN + 7, 5000]) {
        const nat = train(make, size, size);
        setNativeEnabled(false);
        const js = train(make, size, size);
        setNativeEnabled(true);
        expect(nat.p, `${name} ${size}`).toEqual(js.p);
        for (const k of Object.keys(js.slots))
          expect(nat.slots[k], `${name} ${size} ${k}`).toEqual(js.slots[k]);
        expect(nat.p.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('give the bits of the JavaScript updates on table rows, in one call for all rows', () => {
    const sparse: [string, () => SparseOptimizer][] = [
      ['lazy adam', () => new LazyAdam({ lr: 0.01, weightDecay: 0.05 })],
      ['lazy adamw', () => new LazyAdam({ lr: 0.01, decoupled: true, weightDecay: 0.01 })],
      ['adagrad rows', () => new Adagrad({ lr: 0.05, weightDecay: 0.01, lrDecay: 0.1 })],
    ];
    // Widths that are not multiples of a vector; row counts on both sides of NATIVE_MIN_RUN.
    for (const [name, make] of sparse) {
      for (const [numRows, width, touched] of [
        [50, 1, 7],
        [3000, 13, 400],
        [800, 64, 100],
      ]) {
        const nat = trainRows(make, numRows, width, touched, numRows + width);
        setNativeEnabled(false);
        const js = trainRows(make, numRows, width, touched, numRows + width);
        setNativeEnabled(true);
        const what = `${name} ${numRows}x${width}`;
        expect(nat.table, what).toEqual(js.table);
        for (const k of Object.keys(js.slots))
          expect(nat.slots[k], `${what} ${k}`).toEqual(js.slots[k]);
        expect(nat.table.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('refuses runs that overrun the arrays, changing nothing', () => {
    const p = new Float32Array(4).fill(1);
    const g = new Float32Array(4);
    const m = new Float32Array(3);
    const adam = (rows: Int32Array | null, width: number, mm = m) =>
      addon!.adam(p, g, mm, mm, rows, width, 0.9, 0.999, 1e-8, 0, false, 0.1, 1, 1);
    expect(() => adam(null, 4)).toThrow(/m is shorter than its rows · width/);
    expect(() => adam(Int32Array.of(0, 1, 0), 2, p)).toThrow(/g is shorter than rows · width/);
    expect(() => adam(Int32Array.of(0, 2), 2, p)).toThrow(/p is shorter than its rows · width/);
    expect(() => adam(Int32Array.of(-1), 1, p)).toThrow(/rows\[0\] is negative/);
    expect(() => addon!.adagrad(p, g, p, Int32Array.of(4), 1, 0.1, 1e-8, 0)).toThrow(
      /p is shorter/,
    );
    expect(() => addon!.adagrad(p, g, p, null, 4, Number.NaN, 1e-8, 0)).toThrow(/finite/);
    expect(() => addon!.adagrad(p, g, p, null, 5, 0.1, 1e-8, 0)).toThrow(/shorter/);
    expect(Array.from(p)).toEqual([1, 1, 1, 1]);
  });

  it('change nothing for an empty list of rows, and update one row of width 1', () => {
    const p = Float32Array.of(1, 2, 3);
    const sum = new Float32Array(3);
    addon!.adagrad(p, new Float32Array(0), sum, new Int32Array(0), 5, 0.1, 1e-8, 0);
    expect(Array.from(p)).toEqual([1, 2, 3]);
    addon!.adagrad(p, Float32Array.of(0.5), sum, Int32Array.of(2), 1, 0.1, 1e-8, 0);
    // p -= clr·g/(sqrt(g²)+eps) in float64, rounded once: 3 - 0.1·0.5/(0.5+1e-8).
    expect(p[2]).toBe(Math.fround(3 - (0.1 * 0.5) / (Math.sqrt(0.25) + 1e-8)));
    expect(sum[2]).toBe(0.25);
    expect(Array.from(p.subarray(0, 2))).toEqual([1, 2]);
  });
});
