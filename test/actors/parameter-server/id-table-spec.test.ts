// The model.idEmbedding section of a job spec: defaults, the table it configures, and errors that
// name the field (and line) of a bad value.
import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import { idTableConfigOf, modelOutDim } from '../../../actors/parameter-server/id-table-spec.js';
import { ConfigError } from '../../../runtime/errors.js';

describe('model.idEmbedding', () => {
  it('is off by default and configures a table of the output width when on', () => {
    const d = defaultJobSpec();
    expect(d.model.idEmbedding.enabled).toBe(false);
    expect(idTableConfigOf(d, 7)).toBeUndefined();
    const link = applyOverrides(d, { task: 'link', 'model.idEmbedding.enabled': true });
    expect(idTableConfigOf(link, 7)).toEqual({
      dim: link.model.hidden,
      optimizer: 'adagrad',
      lr: 0.05,
      seed: 0,
      initScale: 0.05,
    });
    const node = applyOverrides(d, {
      'model.idEmbedding.enabled': true,
      'model.idEmbedding.optimizer': 'lazy-adam',
      'train.seed': 3,
    });
    expect(modelOutDim(node, 7)).toBe(7);
    expect(idTableConfigOf(node, 7)).toMatchObject({ dim: 7, optimizer: 'lazy-adam', seed: 3 });
    const wide = applyOverrides(node, { 'model.idEmbedding.dim': 32 });
    expect(idTableConfigOf(wide, 7)!.dim).toBe(32);
  });

  it('names the field and line of bad values', () => {
    const lrZero = () =>
      parseJobSpec('model:\n  idEmbedding:\n    enabled: true\n    lr: 0\n', 'job.yaml');
    expect(lrZero).toThrow(ConfigError);
    try {
      lrZero();
    } catch (e) {
      expect((e as ConfigError).field).toBe('model.idEmbedding.lr');
      expect(String((e as ConfigError).file)).toBe('job.yaml:4');
    }
    const dimWithoutTable = () => parseJobSpec('model:\n  idEmbedding:\n    dim: 16\n', 'job.yaml');
    expect(dimWithoutTable).toThrow(/enabled is false/);
    try {
      dimWithoutTable();
    } catch (e) {
      expect((e as ConfigError).field).toBe('model.idEmbedding.dim');
    }
    expect(() => parseJobSpec('model:\n  idEmbedding:\n    optimizer: sgd\n', 'job.yaml')).toThrow(
      /adagrad, lazy-adam/,
    );
  });
});
