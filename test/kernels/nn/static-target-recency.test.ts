// The target-recency term on the static link model (the decoder's scores, no temporal model): off at
// zero weights, exactly 5·⟨φ(gap), w⟩ per target otherwise, in the loss with a true gradient.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage } from '../../../kernels/nn/graphsage.js';
import type { LinkDecoderKind } from '../../../kernels/nn/link-decoder.js';
import { RECENCY_FEATURES, RECENCY_PARAM } from '../../../kernels/nn/target-recency.js';
import { POINTER_SCALE } from '../../../kernels/nn/temporal-model.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray, randomBlock } from '../fixtures/random-block.js';
import { checkModelGradients } from '../fixtures/gradient-check.js';
import { scoreRef } from '../fixtures/recency-ref.js';
import type { SubgraphBatch } from '../../../kernels/nn/block.js';

const IN_DIM = 5;
const SEEDS = 12;
const PAIRS = 4;
const K = 2;

function linkModel(decoder: LinkDecoderKind, targetRecency: boolean): GraphSage {
  return new GraphSage({
    inDim: IN_DIM,
    hiddenDim: 8,
    outDim: 8,
    seed: 1,
    task: { kind: 'link', decoder, numNegatives: K, targetRecency },
  });
}

function batchOf(rng: Mulberry32): SubgraphBatch {
  const b1 = randomBlock(rng, { numDst: SEEDS, numSrc: SEEDS + 6, maxDeg: 4 });
  const b0 = randomBlock(rng, { numDst: b1.numSrc, numSrc: b1.numSrc + 9, maxDeg: 5 });
  return { blocks: [b0, b1], features: randomArray(rng, b0.numSrc * IN_DIM), numSeeds: SEEDS };
}

/** Pairs among the seeds, K negatives each, and every target's gap (some with no edge before). */
function linkTarget(rng: Mulberry32) {
  const rows = (n: number) => Int32Array.from({ length: n }, () => rng.int(SEEDS));
  const targetGap = Float32Array.from({ length: PAIRS * (1 + K) }, () =>
    rng.next() < 0.2 ? -1 : Math.log1p(3e7 * rng.next()),
  );
  return { src: rows(PAIRS), dst: rows(PAIRS), negDst: rows(PAIRS * K), targetGap };
}

describe('the target-recency term on the static link model', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const decoder of ['dot', 'cosine', 'mlp'] as const)
    it(`adds exactly 5·⟨φ(gap), w⟩ to each target's ${decoder} score, nothing at w = 0`, () => {
      const rng = new Mulberry32(decoder.length);
      const withTerm = linkModel(decoder, true);
      const plain = linkModel(decoder, false);
      expect(withTerm.paramSpecs().map((s) => s.name)).toContain(RECENCY_PARAM);
      expect(plain.paramSpecs().map((s) => s.name)).not.toContain(RECENCY_PARAM);
      const params = withTerm.init(3);
      // The term starts at zero: the model starts from the plain scores.
      expect(Array.from(params.get(RECENCY_PARAM)!)).toEqual(new Array(RECENCY_FEATURES).fill(0));
      plain.setParams(new Map([...params].filter(([name]) => name !== RECENCY_PARAM)));
      withTerm.setParams(params);
      const batch = batchOf(rng);
      const t = linkTarget(rng);
      const gaps = t.targetGap.subarray(0, PAIRS);
      const base = plain.scoreLinks(batch, t.src, t.dst);
      const atZero = withTerm.scoreLinks(batch, t.src, t.dst, undefined, { targetGap: gaps });
      expect(Array.from(atZero)).toEqual(Array.from(base));
      const w = randomArray(rng, RECENCY_FEATURES);
      withTerm.setParams(new Map([...params, [RECENCY_PARAM, w]]));
      const moved = withTerm.scoreLinks(batch, t.src, t.dst, undefined, { targetGap: gaps });
      const term = scoreRef(gaps, w, POINTER_SCALE);
      for (let i = 0; i < PAIRS; i++) {
        expect(Math.abs(moved[i] - base[i] - term[i])).toBeLessThan(1e-4 * (1 + Math.abs(term[i])));
        // Large enough that the check above could fail.
        expect(Math.abs(term[i])).toBeGreaterThan(1e-3);
      }
      // Without the targets' gaps the term cannot be added: refused, not skipped.
      expect(() => withTerm.scoreLinks(batch, t.src, t.dst)).toThrow(ShapeError);
      plain.dispose();
      withTerm.dispose();
    });

  it("trains the term's weights: the loss's gradient matches finite differences", () => {
    const rng = new Mulberry32(5);
    const m = linkModel('dot', true);
    const params = m.init(2);
    params.set(RECENCY_PARAM, randomArray(rng, RECENCY_FEATURES));
    const batch = batchOf(rng);
    const target = linkTarget(rng);
    checkModelGradients(m, params, batch, target, { dropoutSeed: 4, nonZero: true });
    m.setParams(params);
    const g = m.forwardBackward(batch, target, { dropoutSeed: 4 }).grads.get(RECENCY_PARAM)!;
    expect(g.some((v) => v !== 0)).toBe(true);
    // The negatives' gaps take part: changing only theirs changes the loss.
    const negOnly = Float32Array.from(target.targetGap, (v, i) => (i < PAIRS ? v : -1));
    const a = m.forwardBackward(batch, target, { dropoutSeed: 4 }).loss;
    const b = m.forwardBackward(batch, { ...target, targetGap: negOnly }, { dropoutSeed: 4 }).loss;
    expect(a).not.toBe(b);
    expect(() => m.forwardBackward(batch, { ...target, targetGap: undefined })).toThrow(ShapeError);
    m.dispose();
  });

  it('refuses negatives whose gaps the sampler does not ship', () => {
    for (const negatives of ['in-batch', 'hard'] as const)
      expect(
        () =>
          new GraphSage({
            inDim: IN_DIM,
            hiddenDim: 8,
            outDim: 8,
            task: { kind: 'link', negatives, targetRecency: true },
          }),
      ).toThrow(/explicit negatives/);
  });
});
