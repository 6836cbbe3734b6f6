// The refusal of a temporal training batch that the wasm heap cannot hold: on values (the default
// temporal spec at N = 100 asks for more than the heap leaves; 512 fits), and only on wasm.
import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import {
  checkTrainingFits,
  TRAIN_SEQUENCE_BYTES,
  trainingBatchBytes,
} from '../../../actors/trainer/training-memory.js';
import { sequenceBytes } from '../../../kernels/nn/sequence-memory.js';
import { ConfigError } from '../../../runtime/errors.js';
import { configErrorOf } from '../../helpers/config-error.js';

/** The CollegeMsg job's encoder: N = 100, d = 128, 4 heads, 1 layer, 8 input features. */
const SHAPE = { sequenceLength: 100, dim: 128, heads: 4, layers: 1, inDim: 8 };

const specOf = (batchSize: number) =>
  applyOverrides(defaultJobSpec(), {
    task: 'link',
    'model.temporal.enabled': true,
    'sampling.batchSize': batchSize,
  });

describe('temporal training batch against the wasm heap', () => {
  it('counts twice the forward bytes per sequence, against three quarters of 4 GiB', () => {
    expect(TRAIN_SEQUENCE_BYTES).toBe(3 * 2 ** 30);
    expect(trainingBatchBytes(SHAPE, 512)).toBe(512 * 2 * sequenceBytes(SHAPE));
    expect(trainingBatchBytes(SHAPE, 512)).toBe(3_072_933_888);
  });

  it('refuses the default batch of 1,024 at N = 100 on wasm, naming the field and the largest that fits', () => {
    const spec = specOf(1024);
    expect(spec.sampling.batchSize).toBe(defaultJobSpec().sampling.batchSize);
    const e = configErrorOf(() => checkTrainingFits(spec, SHAPE, 'wasm'));
    expect(e.message).toContain('sampling.batchSize');
    expect(e.message).toContain('is 1024');
    expect(e.message).toContain('hold about 5861.2 MiB in a training step, over the 3072.0 MiB');
    expect(e.message).toContain('use sampling.batchSize 536 or less');
    expect(() => checkTrainingFits(specOf(536), SHAPE, 'wasm')).not.toThrow();
    expect(() => checkTrainingFits(specOf(537), SHAPE, 'wasm')).toThrow(ConfigError);
  });

  it('lets every batch through on backends without the 4 GiB heap, and without the temporal model', () => {
    for (const backend of ['cpu', 'tensorflow'])
      expect(() => checkTrainingFits(specOf(1 << 20), SHAPE, backend)).not.toThrow();
    expect(() => checkTrainingFits(specOf(1 << 20), undefined, 'wasm')).not.toThrow();
  });
});
