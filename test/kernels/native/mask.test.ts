// Native dropout gives the bits of the JavaScript hash mask on every instruction set (odd lengths,
// rates, signed zeros, non-finite values); the native ReLU gradient matches dy·[y > 0]; the
// first layer's dropout straight from data equals an upload followed by dropout; short arrays throw.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels, setNativeEnabled, type NativeIsa } from '../../../kernels/native/addon.js';
import { dropout, dropoutFromData, dropoutInto } from '../../../kernels/nn/dropout.js';
import { reluGrad } from '../../../kernels/nn/relu.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray } from '../fixtures/random-block.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native mask tests');

const ISAS = ['avx512', 'avx2', 'scalar'] as NativeIsa[];

/** Values with signed zeros, infinities and NaN among random ones. */
function values(n: number, seed: number): Float32Array {
  const x = randomArray(new Mulberry32(seed), n, 3);
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-30];
  for (let i = 0; i < Math.min(n, special.length); i++) x[(i * 7) % n] = special[i];
  return x;
}

function dropoutWith(native: boolean, x: Float32Array, rate: number, seed: number): Float32Array {
  setNativeEnabled(native);
  const out = new Float32Array(x.length).fill(123);
  dropoutInto(x, out, rate, seed);
  setNativeEnabled(true);
  return out;
}

describe.skipIf(addon === null)('native dropout and ReLU gradient', () => {
  const isas = ISAS.filter((i) => ISAS.indexOf(i) >= ISAS.indexOf(addon?.bestIsa() ?? 'scalar'));
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    addon?.isa(addon.bestIsa());
    setNativeEnabled(true);
  });

  it('gives the JavaScript bits on odd lengths and rates, on every instruction set', () => {
    const lengths = [0, 1, 2, 3, 15, 16, 17, 33, 1000, 4099];
    const rates = [0.5, 0.1, 0.37, 0.9];
    for (const isa of isas) {
      addon!.isa(isa);
      lengths.forEach((n, k) => {
        const x = values(n, k + 1);
        for (const rate of rates) {
          const want = dropoutWith(false, x, rate, 77 + k);
          const got = dropoutWith(true, x, rate, 77 + k);
          expect(got, `${isa} n=${n} rate=${rate}`).toEqual(want);
          // Object.is-level equality for the signed zeros and NaN toEqual treats loosely.
          for (let i = 0; i < n; i++)
            expect(Object.is(got[i], want[i]), `${isa} [${i}]`).toBe(true);
        }
      });
    }
    addon!.isa(isas[0]);
  });

  it('drops about the rate of values and scales the kept ones', () => {
    const x = new Float32Array(100_000).fill(1);
    const out = dropoutWith(true, x, 0.3, 5);
    const kept = out.filter((v) => v !== 0);
    expect(kept.length / x.length).toBeGreaterThan(0.69);
    expect(kept.length / x.length).toBeLessThan(0.71);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
  });

  it('masks the ReLU gradient as the wasm ops do', () => {
    for (const n of [1, 7, 16, 17, 1025]) {
      const rng = new Mulberry32(n);
      const dy = tf.tensor1d(randomArray(rng, n, 2));
      const y = tf.relu(tf.tensor1d(randomArray(rng, n, 1)));
      const want = tf.mul(dy, tf.step(y)).dataSync();
      const got = reluGrad(dy, y).dataSync();
      expect(Array.from(got)).toEqual(Array.from(want));
      setNativeEnabled(false);
      expect(Array.from(reluGrad(dy, y).dataSync())).toEqual(Array.from(want));
      setNativeEnabled(true);
    }
  });

  it('drops out data on its way to the backend as an upload then dropout would', () => {
    const data = values(37 * 10, 9);
    const viaUpload = dropout(tf.tensor2d(data, [37, 10]), 0.5, 4242).dataSync();
    const direct = dropoutFromData(data, [37, 10], 0.5, 4242);
    expect(direct.shape).toEqual([37, 10]);
    expect(Array.from(direct.dataSync())).toEqual(Array.from(viaUpload));
    expect(Array.from(dropoutFromData(data, [37, 10], 0, 1).dataSync())).toEqual(Array.from(data));
    expect(() => dropoutFromData(data, [36, 10], 0.5, 1)).toThrow(/370 values for shape 36×10/);
  });

  it('refuses arrays shorter than n and a threshold past 65536', () => {
    const a = new Float32Array(4);
    expect(() => addon!.dropout(a, new Float32Array(3), 4, 1, 100, 2)).toThrow(/shorter than n/);
    expect(() => addon!.dropout(a, a.slice(), 4, 1, 70000, 2)).toThrow(/out of range/);
    expect(() => addon!.reluGrad(a, new Float32Array(2), a.slice(), 4)).toThrow(/shorter than n/);
  });
});
