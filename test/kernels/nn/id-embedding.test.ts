// ID-embedding rows added to GraphSAGE's output: the rows' gradient (and the projection's, when the
// widths differ) against finite differences, and rows that change the output exactly by themselves.
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphSage } from '../../../kernels/nn/graphsage.js';
import type { SubgraphBatch } from '../../../kernels/nn/block.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { randomArray, randomBlock } from '../fixtures/random-block.js';

function batchOf(rng: Mulberry32, inDim: number, numSeeds: number): SubgraphBatch {
  const b1 = randomBlock(rng, { numDst: numSeeds, numSrc: numSeeds + 5, maxDeg: 3 });
  const b0 = randomBlock(rng, { numDst: b1.numSrc, numSrc: b1.numSrc + 7, maxDeg: 4 });
  return { blocks: [b0, b1], features: randomArray(rng, b0.numSrc * inDim), numSeeds };
}

describe('ID embeddings in GraphSAGE', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const dim of [6, 3]) {
    it(`rows of width ${dim} get the loss's gradient (finite differences)`, () => {
      for (let seed = 0; seed < 3; seed++) {
        const rng = new Mulberry32(seed + 40);
        const numSeeds = 8;
        const batch = batchOf(rng, 5, numSeeds);
        const m = new GraphSage({
          inDim: 5,
          hiddenDim: 6,
          outDim: 6,
          dropout: 0,
          idEmbedding: { dim },
          task: { kind: 'link', decoder: 'dot', negatives: 'uniform', numNegatives: 2 },
        });
        const params = m.init(seed);
        expect(params.has('idEmbedding.proj')).toBe(dim !== 6);
        m.setParams(params);
        const target = {
          src: Int32Array.of(0, 1, 2),
          dst: Int32Array.of(3, 4, 5),
          negDst: Int32Array.of(6, 7, 4, 5, 7, 6),
        };
        const rows = randomArray(rng, numSeeds * dim, 0.5);
        const r = m.forwardBackward(batch, target, { dropoutSeed: 1, idRows: rows });
        expect(r.idRowGrads!.length).toBe(rows.length);
        const loss = (x: Float32Array) =>
          m.forwardBackward(batch, target, { dropoutSeed: 1, idRows: x }).loss;
        const dir = randomArray(rng, rows.length);
        const eps = 1e-3;
        let analytic = 0;
        for (let i = 0; i < rows.length; i++) analytic += r.idRowGrads![i] * dir[i];
        const numeric =
          (loss(rows.map((v, i) => v + eps * dir[i])) -
            loss(rows.map((v, i) => v - eps * dir[i]))) /
          (2 * eps);
        expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 + 2e-2 * Math.abs(analytic));
        if (dim !== 6) {
          // The projection's gradient too.
          const proj = params.get('idEmbedding.proj')!;
          const pd = randomArray(rng, proj.length);
          let a2 = 0;
          for (let i = 0; i < proj.length; i++) a2 += r.grads.get('idEmbedding.proj')![i] * pd[i];
          const at = (s: number) => {
            m.setParams(
              new Map(params).set(
                'idEmbedding.proj',
                proj.map((v, i) => v + s * eps * pd[i]),
              ),
            );
            return loss(rows);
          };
          const n2 = (at(1) - at(-1)) / (2 * eps);
          m.setParams(params);
          expect(Math.abs(n2 - a2)).toBeLessThan(2e-3 + 2e-2 * Math.abs(a2));
        }
        m.dispose();
      }
    });
  }

  it('steps without rows (the projection then gets a zero gradient)', () => {
    const rng = new Mulberry32(8);
    const batch = batchOf(rng, 4, 5);
    const m = new GraphSage({
      inDim: 4,
      hiddenDim: 4,
      outDim: 3,
      idEmbedding: { dim: 2 },
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    const r = m.forwardBackward(batch, { labels: Int32Array.of(0, 1, 2, 0, 1) });
    expect(r.idRowGrads).toBeUndefined();
    expect(Array.from(r.grads.get('idEmbedding.proj')!)).toEqual(new Array(6).fill(0));
    expect(Number.isFinite(r.loss)).toBe(true);
    m.dispose();
  });

  it('adds the rows to the output exactly, and rejects rows of the wrong size', () => {
    const rng = new Mulberry32(5);
    const batch = batchOf(rng, 4, 5);
    const m = new GraphSage({
      inDim: 4,
      hiddenDim: 4,
      outDim: 3,
      idEmbedding: { dim: 3 },
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    const plain = m.forward(batch);
    const rows = randomArray(rng, 15);
    const withRows = m.forward(batch, rows);
    for (let i = 0; i < 15; i++) expect(withRows[i]).toBeCloseTo(plain[i] + rows[i], 5);
    expect(() => m.forward(batch, new Float32Array(14))).toThrow(ShapeError);
    m.dispose();
  });
});
