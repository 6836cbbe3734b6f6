// The cold-start warning: a link job with ID embeddings is told, before it trains, when most of its
// evaluation sources have no training edges; not when they do, nor without ID embeddings.
import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { coldSourceShare, coldStartWarning } from '../../../actors/plan/cold-sources.js';
import type { SeedSource } from '../../../actors/plan/seed-source.js';

/** Edges 0..9: sources 0..4 twice each in training order; the held-out edges name other sources. */
function seedsWith(heldSources: number[]) {
  const src = Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, ...heldSources]);
  const source: SeedSource = { kind: 'link', src, dst: new Int32Array(src.length) };
  const ids = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  const half = 10 + (heldSources.length >> 1);
  return {
    source,
    train: ids(0, 10),
    val: ids(10, half),
    test: ids(half, src.length),
  };
}

const withIds = applyOverrides(defaultJobSpec(), {
  task: 'link',
  'model.idEmbedding.enabled': true,
});

describe('cold evaluation sources', () => {
  it('counts held-out edges whose source never trained', () => {
    const s = seedsWith([0, 7, 8, 9]);
    const held = Int32Array.from([...s.val, ...s.test]);
    expect(coldSourceShare(s.source as never, s.train, held)).toBe(0.75);
    expect(coldSourceShare(s.source as never, s.train, new Int32Array(0))).toBe(0);
  });

  it('warns a job with ID embeddings when most sources are new, with the remedies', () => {
    const w = coldStartWarning(withIds, seedsWith([0, 7, 8, 9]));
    expect(w).toMatch(
      /^75 % of validation and test pairs come from sources with no training edges/,
    );
    expect(w).toContain('model.idEmbedding.rowDropout');
    expect(w).toContain('model.structuralFeatures');
    const tuned = applyOverrides(withIds, {
      'model.idEmbedding.rowDropout': 0.3,
      'model.structuralFeatures': true,
    });
    expect(coldStartWarning(tuned, seedsWith([0, 7, 8, 9]))).not.toContain('consider');
  });

  it('says nothing when sources are known, or without ID embeddings', () => {
    expect(coldStartWarning(withIds, seedsWith([0, 1, 2, 9]))).toBeUndefined();
    const plain = applyOverrides(withIds, { 'model.idEmbedding.enabled': false });
    expect(coldStartWarning(plain, seedsWith([7, 8, 9, 9]))).toBeUndefined();
  });
});
