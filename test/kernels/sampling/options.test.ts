// Bad sampler options and inputs fail with ConfigError / InputError naming the field.
// (Strategy-specific input errors are tested next to their strategy.)
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../runtime/errors.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SamplerOptions } from '../../../kernels/sampling/types.js';
import { randomCsr, TestRng } from './random-graph.js';

describe('sampler options and inputs', () => {
  const csr = randomCsr(new TestRng(1), { numNodes: 20, numEdges: 60 });

  it.each([
    [{ strategy: 'bogus', fanouts: [2] }, 'strategy'],
    [{ strategy: 'uniform', fanouts: [] }, 'fanouts'],
    [{ strategy: 'uniform', fanouts: [2, 0] }, 'fanouts[1]'],
    [{ strategy: 'uniform', fanouts: [2.5] }, 'fanouts[0]'],
    [{ strategy: 'uniform', fanouts: [-2] }, 'fanouts[0]'],
    [{ strategy: 'uniform', fanouts: [2], seed: NaN }, 'seed'],
    [{ strategy: 'temporal', fanouts: [2], temporalPick: 'first' }, 'temporalPick'],
  ])('rejects %j naming the field', (options, field) => {
    try {
      createSampler(csr, options as unknown as SamplerOptions);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
    }
  });

  it('rejects out-of-range or non-integer seeds and bad counts as InputError', () => {
    const s = createSampler(csr, { strategy: 'uniform', fanouts: [2] });
    const fieldOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).field;
      }
      return undefined;
    };
    expect(fieldOf(() => s.sample([1, 20]))).toBe('seeds[1]');
    expect(fieldOf(() => s.sample([-1]))).toBe('seeds[0]');
    expect(fieldOf(() => s.sample([1.5]))).toBe('seeds[0]');
    expect(fieldOf(() => s.sample([1, 2], 3))).toBe('count');
    expect(fieldOf(() => s.sampleEdges([1, 2], [3], 2))).toBe('count');
  });

  it('rejects an indptr of the wrong length', () => {
    expect(() =>
      createSampler(
        { ...csr, indptr: csr.indptr.subarray(0, 5) },
        { strategy: 'uniform', fanouts: [1] },
      ),
    ).toThrow(/indptr/);
  });
});
