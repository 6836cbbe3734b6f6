// WEFT_KERNELS: auto, native or wasm, anything else refused naming the variable; the status a
// process reports when the addon is loaded.

import { describe, expect, it } from 'vitest';
import { kernelsPreference, nativeKernels, nativeStatus } from '../../../kernels/native/addon.js';
import { BackendError } from '../../../kernels/tf/errors.js';

describe('WEFT_KERNELS', () => {
  it('reads auto, native and wasm, empty meaning auto', () => {
    expect(kernelsPreference({})).toBe('auto');
    expect(kernelsPreference({ WEFT_KERNELS: '' })).toBe('auto');
    expect(kernelsPreference({ WEFT_KERNELS: 'auto' })).toBe('auto');
    expect(kernelsPreference({ WEFT_KERNELS: ' native ' })).toBe('native');
    expect(kernelsPreference({ WEFT_KERNELS: 'wasm' })).toBe('wasm');
  });

  it('refuses any other value, naming the variable and the choices', () => {
    expect(() => kernelsPreference({ WEFT_KERNELS: 'avx512' })).toThrow(BackendError);
    expect(() => kernelsPreference({ WEFT_KERNELS: 'avx512' })).toThrow(
      /WEFT_KERNELS: must be auto, native or wasm, got 'avx512'/,
    );
  });
});

describe('native status', () => {
  it('names the instruction set when the addon runs, else why it does not', () => {
    const s = nativeStatus();
    if (nativeKernels() !== null) {
      expect(s.kernels).toBe('native');
      expect(['avx512', 'avx2', 'scalar']).toContain(s.isa);
      expect(s.reason).toBe(`native ${s.isa}`);
    } else {
      expect(s.kernels).toBe('wasm');
      expect(s.reason).toMatch(/forced by WEFT_KERNELS=wasm|addon not built|failed to load/);
    }
  });
});
