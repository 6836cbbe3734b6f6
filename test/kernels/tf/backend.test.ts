// Backend selection: the optional tensorflow packages are reported as missing, not fatal; auto
// falls through to wasm with SIMD; named backends are honoured and a missing one is a BackendError.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backendLabel, currentBackend, initBackend } from '../../../kernels/tf/backend.js';
import { BackendError } from '../../../kernels/tf/errors.js';
import { csrMean } from '../../../kernels/ops/csr-mean.js';

const tfjsNodeInstalled = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

describe('initBackend', () => {
  it('auto picks the best loadable backend and says why the others were skipped', async () => {
    const r = await initBackend('auto');
    expect(tf.getBackend()).toBe(r.name);
    expect(currentBackend()).toBe(r);
    if (!tfjsNodeInstalled) {
      expect(r.name).toBe('wasm');
      expect(r.attempts.map((a) => a.backend)).toEqual([
        '@tensorflow/tfjs-node-gpu',
        '@tensorflow/tfjs-node',
        'wasm',
      ]);
      expect(r.attempts[0].ok).toBe(false);
      expect(r.attempts[0].reason).toMatch(/not installed/);
      expect(r.reason).toMatch(/skipped @tensorflow\/tfjs-node-gpu/);
      expect(r.simd).toBe(true);
      expect(r.threads).toBe(1);
    }
    // Which kernels run is always said, and with its reason in the one-line summary.
    expect(['native', 'wasm']).toContain(r.kernels);
    expect(r.reason).toContain(`kernels ${r.kernelsReason}`);
    expect(backendLabel(r)).toBe(r.kernels === 'native' ? `${r.name}+native` : r.name);
  });

  it('honours an explicit cpu or wasm preference and runs the graph ops on it', async () => {
    for (const name of ['cpu', 'wasm'] as const) {
      const r = await initBackend(name);
      expect(r.name).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const block = {
        numDst: 1,
        numSrc: 2,
        indptr: new Int32Array([0, 2]),
        indices: new Int32Array([0, 1]),
      };
      const y = tf.tidy(() => csrMean(tf.tensor2d([1, 2, 3, 4], [2, 2]), block).arraySync());
      expect(y).toEqual([[2, 3]]);
    }
  });

  it.skipIf(tfjsNodeInstalled)(
    'throws BackendError naming both packages when tensorflow is required but absent',
    async () => {
      const err = await initBackend('tensorflow').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      const be = err as BackendError;
      expect(be.attempts.map((a) => a.backend)).toEqual([
        '@tensorflow/tfjs-node-gpu',
        '@tensorflow/tfjs-node',
      ]);
      expect(be.message).toMatch(/not installed/);
      // The previous backend stays active.
      expect(tf.getBackend()).toBe('wasm');
    },
  );
});
