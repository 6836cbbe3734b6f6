// The native CSR mean / weighted mean and its transposed gradient: the same bits as the JavaScript
// kernels (same float64 arithmetic, same order), close to the float64 references on odd shapes
// (no destinations, empty rows, widths that are not multiples of 8), and indices checked.

import { afterEach, describe, expect, it } from 'vitest';
import { nativeKernels, setNativeEnabled, type NativeIsa } from '../../../kernels/native/addon.js';
import {
  csrMeanReference,
  csrMeanTransposeReference,
  csrScatterRows,
  type CsrMeanOptions,
} from '../../../kernels/ops/csr-mean.js';
import { copyDestinationRows, csrWeightedMean } from '../../../kernels/ops/csr-weighted-mean.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native CSR tests');

const variants: CsrMeanOptions[] = [
  { reduce: 'mean' },
  { reduce: 'sum' },
  { reduce: 'mean', selfConcat: true },
  { reduce: 'sum', selfConcat: true },
];

function setup(seed: number) {
  const rng = new Mulberry32(seed);
  const numSrc = 1 + rng.int(70);
  const numDst = seed % 10 === 0 ? 0 : rng.int(numSrc + 1);
  const d = 1 + rng.int(41);
  const block = randomBlock(rng, {
    numDst,
    numSrc,
    maxDeg: 14,
    weighted: seed % 3 === 0,
    zeroWeightRows: seed % 6 === 0,
  });
  const opts = variants[seed % variants.length];
  const weights = seed % 3 === 0 ? (block.edgeWeight ?? null) : null;
  return { rng, numSrc, numDst, d, block, opts, weights, mean: opts.reduce === 'mean' };
}

/** Forward through the shared entry points (native when enabled) in the kernels' own layout. */
function forward(seed: number): Float32Array {
  const { rng, numSrc, numDst, d, block, opts, weights, mean } = setup(seed);
  const h = randomArray(rng, numSrc * d, 3);
  const width = opts.selfConcat ? 2 * d : d;
  const out = new Float32Array(numDst * width).fill(Number.NaN);
  if (opts.selfConcat) copyDestinationRows([h], null, null, d, numDst, out, width);
  const off = opts.selfConcat ? d : 0;
  csrWeightedMean(
    [h],
    null,
    null,
    d,
    block.indptr,
    block.indices,
    weights,
    numDst,
    mean,
    out,
    width,
    off,
  );
  return out;
}

function backward(seed: number): Float32Array {
  const { rng, numSrc, numDst, d, block, opts, weights, mean } = setup(seed);
  rng.next();
  const width = opts.selfConcat ? 2 * d : d;
  const dout = randomArray(rng, numDst * width, 2);
  const dh = new Float32Array(numSrc * d);
  const off = opts.selfConcat ? d : 0;
  csrScatterRows(dout, width, off, d, block.indptr, block.indices, weights, numDst, mean, dh);
  return dh;
}

describe.skipIf(addon === null)('native CSR aggregation', () => {
  afterEach(() => setNativeEnabled(true));

  it('gives the bits of the JavaScript kernels, forward and transposed, on every instruction set', () => {
    const order = ['avx512', 'avx2', 'scalar'] as NativeIsa[];
    const isas = order.filter((i) => order.indexOf(i) >= order.indexOf(addon!.bestIsa()));
    try {
      for (const isa of isas)
        for (let seed = 1; seed <= 60; seed++) {
          addon!.isa(isa);
          const nat = [forward(seed), backward(seed)];
          setNativeEnabled(false);
          const js = [forward(seed), backward(seed)];
          setNativeEnabled(true);
          expect(nat[0], `${isa} forward seed ${seed}`).toEqual(js[0]);
          expect(nat[1], `${isa} transpose seed ${seed}`).toEqual(js[1]);
        }
    } finally {
      addon!.isa(addon!.bestIsa());
    }
  });

  it('matches the float64 references', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { rng, numSrc, numDst, d, block, opts } = setup(seed);
      const h = randomArray(rng, numSrc * d, 3);
      const o = { ...opts, weighted: seed % 3 === 0 };
      const got = forward(seed);
      expect(got.every(Number.isFinite), `seed ${seed}`).toBe(true);
      expect(maxRelErr(got, csrMeanReference(h, d, block, o)), `seed ${seed}`).toBeLessThan(2e-6);
      const width = opts.selfConcat ? 2 * d : d;
      const r2 = setup(seed).rng;
      r2.next();
      const dout = randomArray(r2, numDst * width, 2);
      const dh = backward(seed);
      // csrScatterRows covers the aggregate half; the self half is copied by the kernel around it.
      const want = csrMeanTransposeReference(dout, d, block, o);
      if (opts.selfConcat)
        for (let i = 0; i < numDst * d; i++) want[i] -= dout[Math.floor(i / d) * width + (i % d)];
      expect(maxRelErr(dh, want), `seed ${seed} transpose`).toBeLessThan(2e-6);
    }
  });

  it('refuses indices outside the rows and a decreasing indptr, writing nothing', () => {
    const x = new Float32Array(8);
    const out = new Float32Array(4).fill(7);
    const indptr = new Int32Array([0, 1, 2]);
    expect(() =>
      addon!.csrMean(indptr, new Int32Array([0, 4]), null, 2, 2, true, x, out, 2, 0),
    ).toThrow(/indices\[1\] is outside the 4 rows/);
    expect(() =>
      addon!.csrMean(
        new Int32Array([0, 2, 1]),
        new Int32Array([0, 1]),
        null,
        2,
        2,
        true,
        x,
        out,
        2,
        0,
      ),
    ).toThrow(/indptr decreases/);
    expect(() =>
      addon!.csrScatter(indptr, new Int32Array([0, -1]), null, 2, 2, true, out, x, 2, 0),
    ).toThrow(/outside/);
    expect(Array.from(out)).toEqual([7, 7, 7, 7]);
  });
});
