// WEFT_KERNELS=wasm forces the fallback a machine without a compiler gets: a job still trains, and
// results.json says which kernels ran. (Set before any backend starts; worker threads inherit it.)

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { nativeKernels, nativeStatus } from '../../../kernels/native/addon.js';

const before = process.env.WEFT_KERNELS;
process.env.WEFT_KERNELS = 'wasm';
const tmp = mkdtempSync(join(tmpdir(), 'weft-fallback-'));

describe('training on the wasm fallback (WEFT_KERNELS=wasm)', () => {
  const graph = join(tmp, 'powerlaw');
  beforeAll(async () => {
    await synthPowerlaw({ nodes: 2000, edges: 20000, featureDim: 16, classes: 4, seed: 5 }, graph);
  });
  afterAll(() => {
    if (before === undefined) delete process.env.WEFT_KERNELS;
    else process.env.WEFT_KERNELS = before;
  });

  it('reports the forced fallback and trains with it', async () => {
    expect(nativeKernels()).toBeNull();
    expect(nativeStatus()).toEqual({ kernels: 'wasm', reason: 'forced by WEFT_KERNELS=wasm' });
    const out = join(tmp, 'run');
    const spec = applyOverrides(defaultJobSpec(), {
      graph,
      out,
      'train.epochs': 2,
      'model.hidden': 32,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 256,
    });
    const r = await runTraining(spec);
    expect(r.val.accuracy).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.backend).toBe('wasm');
  });
});
