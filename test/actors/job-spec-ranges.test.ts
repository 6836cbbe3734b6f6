// Absurd hyper-parameters are refused where they are written: the job spec's ranges, with the file,
// line and field in the error (YAML) or the flag's path (command-line overrides).
import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../actors/job-spec.js';
import { configErrorOf as refusal } from '../helpers/config-error.js';

describe('job spec ranges', () => {
  it('refuses lr: 1e300 naming the file, line and field', () => {
    const e = refusal(() =>
      parseJobSpec('name: x\ntrain:\n  epochs: 3\n  lr: 1e300\n', 'job.yaml'),
    );
    expect(e.file).toBe('job.yaml:4');
    expect(e.field).toBe('train.lr');
    expect(e.message).toMatch(/^job\.yaml:4 \[train\.lr\]: must be <= 10, got 1e\+300/);
  });

  const cases: [string, string, RegExp][] = [
    ['train.lr', '0', /must be > 0, got 0/],
    ['train.lr', '-0.1', /must be > 0/],
    ['train.lr', '11', /must be <= 10/],
    ['train.weightDecay', '2', /must be <= 1, got 2/],
    ['train.momentum', '1', /must be < 1, got 1/],
    ['train.momentum', '-0.5', /must be >= 0/],
    ['model.dropout', '0.99', /must be <= 0.95/],
    ['sampling.fanouts', '0,5', /must be >= 1, got 0/],
    ['sampling.fanouts', '5,20000', /must be <= 10000/],
    ['sampling.batchSize', '0', /must be >= 1/],
    ['sampling.batchSize', String(2 ** 21), /must be <= 1048576/],
    ['eval.batchSize', String(2 ** 21), /must be <= 1048576/],
    ['model.idEmbedding.lr', '100', /must be <= 10/],
    ['train.rollbackLrFactor', '1', /must be < 1/],
    ['train.rollbackLrFactor', '0', /must be > 0/],
    ['train.maxRollbacks', '0', /must be >= 1/],
    ['train.onNonFinite', 'ignore', /expected one of fail, rollback/],
  ];
  it.each(cases)('refuses %s = %s naming the flag', (field, value, why) => {
    const e = refusal(() => applyOverrides(defaultJobSpec(), { [field]: value }));
    expect(e.field).toBe(field);
    expect(e.file).toBe('command line');
    expect(e.message).toMatch(why);
  });

  it('takes sensible values at the edges of the ranges', () => {
    const s = applyOverrides(defaultJobSpec(), {
      'train.lr': '10',
      'train.momentum': '0.999',
      'train.weightDecay': '1',
      'train.onNonFinite': 'rollback',
      'train.maxRollbacks': '5',
      'train.rollbackLrFactor': '0.1',
    });
    expect(s.train.lr).toBe(10);
    expect(s.train.momentum).toBe(0.999);
    expect(s.train.onNonFinite).toBe('rollback');
    expect([s.train.maxRollbacks, s.train.rollbackLrFactor]).toEqual([5, 0.1]);
    const d = defaultJobSpec().train;
    expect([d.onNonFinite, d.maxRollbacks, d.rollbackLrFactor]).toEqual(['fail', 3, 0.5]);
  });
});
