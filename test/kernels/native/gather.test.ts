// Native row gather: rows copied exactly on odd widths and strides (1 column, widths past the
// prefetch step, no rows), ids checked before anything is written, and the first layer's input
// byte-identical whichever gathers its self rows.

import { afterEach, describe, expect, it } from 'vitest';
import { nativeKernels, setNativeEnabled } from '../../../kernels/native/addon.js';
import { firstLayerInput } from '../../../kernels/gather/first-layer-input.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray, randomBlock } from '../fixtures/random-block.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native gather tests');

describe.skipIf(addon === null)('native row gather', () => {
  afterEach(() => setNativeEnabled(true));

  it('copies rows exactly into a strided output, and nothing else', () => {
    const rng = new Mulberry32(3);
    for (const [numX, d, numRows, stride, off] of [
      [1, 1, 1, 1, 0],
      [50, 3, 20, 7, 2],
      [40, 17, 33, 40, 17],
      [9, 64, 0, 128, 0],
      [300, 33, 299, 66, 33],
    ]) {
      const x = randomArray(rng, numX * d, 5);
      const rows = Int32Array.from({ length: numRows }, () => rng.int(numX));
      const out = new Float32Array(Math.max(1, numRows) * stride + 8).fill(-9);
      addon!.gatherRows(x, rows, numRows, d, out, stride, off);
      const want = new Float32Array(out.length).fill(-9);
      for (let i = 0; i < numRows; i++)
        want.set(x.subarray(rows[i] * d, rows[i] * d + d), i * stride + off);
      expect(out, `${numX}×${d}, ${numRows} rows`).toEqual(want);
    }
  });

  it('refuses ids outside x and an output too short, writing nothing', () => {
    const x = new Float32Array(12);
    const out = new Float32Array(8).fill(1);
    expect(() => addon!.gatherRows(x, Int32Array.of(0, 3), 2, 4, out, 4, 0)).toThrow(
      /rows\[1\] is outside the 3 rows of x/,
    );
    expect(() => addon!.gatherRows(x, Int32Array.of(0, -1), 2, 4, out, 4, 0)).toThrow(
      /rows\[1\] is outside/,
    );
    expect(() => addon!.gatherRows(x, Int32Array.of(0, 1), 2, 4, out, 5, 2)).toThrow(/too short/);
    expect(Array.from(out)).toEqual(new Array(8).fill(1));
  });

  it("builds the first layer's input byte for byte as the JavaScript loop does", () => {
    const rng = new Mulberry32(11);
    const d = 19;
    const numNodes = 500;
    const features = randomArray(rng, numNodes * d, 2);
    const store = {
      dim: d,
      dtype: 'float32' as const,
      numNodes,
      features,
      gather: () => {
        throw new Error('rows are read in place');
      },
    };
    const block = randomBlock(rng, { numDst: 37, numSrc: 90, maxDeg: 9 });
    const nodes = Int32Array.from({ length: 90 }, () => rng.int(numNodes));
    const run = (native: boolean) => {
      setNativeEnabled(native);
      const out = new Float32Array(37 * 2 * d);
      firstLayerInput(store, nodes, block, out);
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });
});
