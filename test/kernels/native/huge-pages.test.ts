// Huge pages for the graph arrays: the advice covers the 2 MiB-aligned interior of each array and
// leaves the contents as they were; without the addon nothing is advised.
import { afterEach, describe, expect, it } from 'vitest';
import { nativeKernels, setNativeEnabled } from '../../../kernels/native/addon.js';
import { adviseHugePages } from '../../../kernels/native/huge-pages.js';

const MIB2 = 2 * 1024 * 1024;

function filled(bytes: number): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(bytes));
  for (let i = 0; i < a.length; i++) a[i] = (i % 977) * 0.5 - 100;
  return a;
}

describe('adviseHugePages', () => {
  afterEach(() => setNativeEnabled(true));

  it.skipIf(nativeKernels() === null || process.platform !== 'linux')(
    'advises whole 2 MiB pages inside each array and keeps every value',
    () => {
      const a = filled(9 * MIB2 + 12_345 * 4);
      const before = a.slice();
      const bytes = adviseHugePages([a, undefined]);
      // At least the 8 whole huge pages inside 9 MiB·2 of memory, never more than the array.
      expect(bytes % MIB2).toBe(0);
      expect(bytes).toBeGreaterThanOrEqual(8 * MIB2);
      expect(bytes).toBeLessThanOrEqual(a.byteLength);
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(before.buffer))).toBe(0);
    },
  );

  it.skipIf(nativeKernels() === null)('advises nothing for arrays under one huge page', () => {
    expect(adviseHugePages([new Int32Array(1000), new Uint8Array(0)])).toBe(0);
  });

  it('advises nothing on the wasm kernels', () => {
    setNativeEnabled(false);
    expect(adviseHugePages([filled(5 * MIB2)])).toBe(0);
  });
});

describe('hugePages argument checks', () => {
  it.skipIf(nativeKernels() === null)('refuses what is not a typed array, naming it', () => {
    expect(() => nativeKernels()!.hugePages({} as never, true)).toThrow(/must be a typed array/);
  });
});
