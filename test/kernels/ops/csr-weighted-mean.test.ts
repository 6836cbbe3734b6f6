// csrWeightedMean on the three row layouts it serves (one matrix, rows by global id, rows split over
// several arrays): byte-identical results, and the float64 reference to float32 rounding.
import { describe, expect, it } from 'vitest';
import { csrMeanReference } from '../../../kernels/ops/csr-mean.js';
import { copyDestinationRows, csrWeightedMean } from '../../../kernels/ops/csr-weighted-mean.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';

describe('csrWeightedMean', () => {
  it('gives the same bytes wherever the rows lie', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Mulberry32(seed);
      const numSrc = 1 + rng.int(50);
      const numDst = rng.int(numSrc + 1);
      const d = 1 + rng.int(37); // covers d % 8 != 0 remainders
      const block = randomBlock(rng, {
        numDst,
        numSrc,
        maxDeg: 10,
        weighted: seed % 2 === 0,
        zeroWeightRows: seed % 4 === 0,
      });
      const { indptr, indices } = block;
      const w = block.edgeWeight ?? null;
      const h = randomArray(rng, numSrc * d, 3);
      const width = 2 * d;
      const run = (rows: Float32Array[], src: Int32Array | null, off: Float64Array | null) => {
        const out = new Float32Array(numDst * width);
        copyDestinationRows(rows, src, off, d, numDst, out, width);
        csrWeightedMean(rows, src, off, d, indptr, indices, w, numDst, true, out, width, d);
        return out;
      };
      const direct = run([h], null, null);
      // Rows by global id: local node u is row perm[u] of a larger store.
      const numNodes = numSrc + 7;
      const perm = Array.from({ length: numNodes }, (_v, i) => i).sort(() => rng.next() - 0.5);
      const store = new Float32Array(numNodes * d);
      const byId = new Float64Array(numSrc);
      for (let u = 0; u < numSrc; u++) {
        store.set(h.subarray(u * d, u * d + d), perm[u] * d);
        byId[u] = perm[u] * d;
      }
      expect(run([store], null, byId), `seed ${seed} (by id)`).toEqual(direct);
      // Rows split over two arrays: odd nodes in the second, packed.
      const parts = [new Float32Array(numSrc * d), new Float32Array(numSrc * d)];
      const src = new Int32Array(numSrc);
      const off = new Float64Array(numSrc);
      for (let u = 0; u < numSrc; u++) {
        src[u] = u % 2;
        off[u] = (u >> 1) * d;
        parts[u % 2].set(h.subarray(u * d, u * d + d), off[u]);
      }
      expect(run(parts, src, off), `seed ${seed} (split)`).toEqual(direct);
      const want = csrMeanReference(h, d, block, { selfConcat: true });
      expect(maxRelErr(direct, want), `seed ${seed}`).toBeLessThan(2e-6);
    }
  });
});
