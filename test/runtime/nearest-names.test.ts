import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestNames } from '../../runtime/nearest-names.js';

describe('nearest names', () => {
  it('measures edit distance', () => {
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('LR', 'lr')).toBe(0);
  });

  it('suggests the closest names first and nothing far away', () => {
    const fields = ['epochs', 'lr', 'optimizer', 'weightDecay', 'momentum', 'seed'];
    expect(nearestNames('epoch', fields)).toEqual(['epochs']);
    expect(nearestNames('optimiser', fields)).toEqual(['optimizer']);
    expect(nearestNames('weightdecay', fields)).toEqual(['weightDecay']);
    expect(nearestNames('zzzzzz', fields)).toEqual([]);
    expect(nearestNames('--batchsize', ['--batch-size', '--seed'])).toEqual(['--batch-size']);
  });

  it('words the hint', () => {
    expect(didYouMean('trian', ['train', 'graph'])).toBe(' (did you mean train?)');
    expect(didYouMean('sed', ['seed', 'set', 'zzz'])).toBe(' (did you mean seed or set?)');
    expect(didYouMean('qqqq', ['train'])).toBe('');
  });
});
