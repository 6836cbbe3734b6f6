// The temporal model's job-spec fields: defaults, a list of weights read as numbers, and a clear
// error naming the file, line and field for every combination the model cannot run.
import { describe, expect, it } from 'vitest';
import { defaultJobSpec, parseJobSpec } from '../../actors/job-spec.js';
import { ConfigError } from '../../runtime/errors.js';

function errorOf(yaml: string): ConfigError {
  try {
    parseJobSpec(yaml, 'job.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('model.temporal in the job spec', () => {
  it('is off by default, with LiGNN defaults for the rest', () => {
    const t = defaultJobSpec().model.temporal;
    expect(t.enabled).toBe(false);
    expect(t.sequenceLength).toBe(100);
    expect(t.embeddings).toBe(4);
    expect(t.longTerm.windows).toEqual([604_800, 2_592_000]);
    expect(t.longTerm.weights).toEqual([0.5, 0.25]);
  });

  it('reads long-term weights as numbers, one per window', () => {
    const spec = parseJobSpec(
      'task: link\nmodel:\n  temporal:\n    enabled: true\n    longTerm:\n      enabled: true\n      windows: [10, 20, 30]\n      weights: [0.1, 1.5, 0]\n',
    );
    expect(spec.model.temporal.longTerm.weights).toEqual([0.1, 1.5, 0]);
    const e = errorOf(
      'task: link\nmodel:\n  temporal:\n    enabled: true\n    longTerm:\n      enabled: true\n      windows: [10, 20]\n      weights: [0.5]\n',
    );
    expect(e.message).toMatch(/1 weights for 2 windows/);
    expect(e.message).toContain('job.yaml:8');
    expect(e.message).toContain('model.temporal.longTerm.weights');
    expect(
      errorOf('model:\n  temporal:\n    longTerm:\n      weights: [0.5, x]\n').message,
    ).toMatch(/expected a number/);
  });

  it('refuses a node task, heads that do not divide the width, and partition-owning samplers', () => {
    expect(errorOf('model:\n  temporal:\n    enabled: true\n').message).toMatch(/needs task: link/);
    const heads = errorOf(
      'task: link\nmodel:\n  hidden: 30\n  temporal:\n    enabled: true\n    heads: 4\n',
    );
    expect(heads.message).toContain('model.temporal.heads');
    expect(heads.message).toContain('job.yaml:6');
    const parts = errorOf(
      'task: link\nmodel:\n  temporal:\n    enabled: true\ncluster:\n  partitions: auto\n',
    );
    expect(parts.message).toContain('cluster.partitions');
  });

  it('refuses a sequence longer than an evaluation chunk can hold, naming the field and the limit', () => {
    const yaml = (n: number, heads: number) =>
      `task: link\nmodel:\n  hidden: 128\n  temporal:\n    enabled: true\n    sequenceLength: ${n}\n    heads: ${heads}\n`;
    expect(parseJobSpec(yaml(1000, 4)).model.temporal.sequenceLength).toBe(1000);
    // 64 heads over 1,001 steps: five [64 × 1001 × 1001] float tensors alone are 1.2 GiB.
    const e = errorOf(yaml(1000, 64));
    expect(e.message).toContain('model.temporal.sequenceLength');
    expect(e.message).toContain('job.yaml:6');
    expect(e.message).toMatch(/need 1\d{3}\.\d MiB per sequence/);
    expect(e.message).toContain('over the 1024.0 MiB an evaluation chunk may hold');
    expect(parseJobSpec(yaml(500, 64)).model.temporal.heads).toBe(64);
  });

  it('refuses target recency with negatives the sampler does not draw, naming the field', () => {
    const yaml = (negatives: string) =>
      `task: link\nlink:\n  negatives: ${negatives}\nmodel:\n  temporal:\n    enabled: true\n    targetRecency: true\n`;
    expect(defaultJobSpec().model.temporal.targetRecency).toBe(false);
    expect(parseJobSpec(yaml('uniform')).model.temporal.targetRecency).toBe(true);
    expect(parseJobSpec(yaml('degree')).model.temporal.targetRecency).toBe(true);
    for (const negatives of ['in-batch', 'hard']) {
      const e = errorOf(yaml(negatives));
      expect(e.message).toContain('model.temporal.targetRecency');
      expect(e.message).toContain('job.yaml:7');
      expect(e.message).toContain(`link.negatives is ${negatives}`);
    }
  });

  it('refuses pairRecency without the temporal model, whose activities it reads', () => {
    const e = errorOf(`task: link\nmodel:\n  temporal:\n    pairRecency: true\n`);
    expect(e.message).toContain('model.temporal.pairRecency');
    expect(e.message).toContain('job.yaml:4');
    expect(e.message).toContain('model.temporal.enabled: true');
  });

  it('takes target recency on the static link model, with the same refusals', () => {
    const yaml = (negatives: string) =>
      `task: link\nlink:\n  negatives: ${negatives}\nmodel:\n  temporal:\n    targetRecency: true\n`;
    for (const negatives of ['uniform', 'degree']) {
      const t = parseJobSpec(yaml(negatives)).model.temporal;
      expect([t.enabled, t.targetRecency]).toEqual([false, true]);
    }
    for (const negatives of ['in-batch', 'hard']) {
      const e = errorOf(yaml(negatives));
      expect(e.message).toContain('model.temporal.targetRecency');
      expect(e.message).toContain('job.yaml:6');
      expect(e.message).toContain(`link.negatives is ${negatives}`);
    }
    const node = errorOf('model:\n  temporal:\n    targetRecency: true\n');
    expect(node.message).toContain('model.temporal.targetRecency');
    expect(node.message).toMatch(/needs task: link/);
    const parts = errorOf(
      'task: link\nmodel:\n  temporal:\n    targetRecency: true\ncluster:\n  partitions: auto\n',
    );
    expect(parts.message).toContain('cluster.partitions');
  });

  it('refuses the rank buckets without the pair-recency term they belong to', () => {
    const e = errorOf(`task: link\nmodel:\n  temporal:\n    enabled: true\n    pairRank: true\n`);
    expect(e.message).toContain('model.temporal.pairRank');
    expect(e.message).toContain('job.yaml:5');
    expect(e.message).toContain('model.temporal.pairRecency: true');
    expect(defaultJobSpec().model.temporal.pairRank).toBe(false);
  });

  it('refuses a pair window without the pair-recency term that reads it', () => {
    const e = errorOf(`task: link\nmodel:\n  temporal:\n    enabled: true\n    pairWindow: 50\n`);
    expect(e.message).toContain('model.temporal.pairWindow');
    expect(e.message).toContain('job.yaml:5');
    expect(e.message).toContain('model.temporal.pairRecency: true');
    const spec = parseJobSpec(
      `task: link\nmodel:\n  temporal:\n    enabled: true\n    pairRecency: true\n    pairWindow: 50\n`,
    );
    expect(spec.model.temporal.pairWindow).toBe(50);
    expect(defaultJobSpec().model.temporal.pairWindow).toBe(0);
  });

  it('takes pair recency with any negatives: training reads the gaps off the sequences', () => {
    expect(defaultJobSpec().model.temporal.pairRecency).toBe(false);
    for (const negatives of ['uniform', 'in-batch']) {
      const spec = parseJobSpec(
        `task: link\nlink:\n  negatives: ${negatives}\nmodel:\n  temporal:\n    enabled: true\n    pairRecency: true\n`,
      );
      expect(spec.model.temporal.pairRecency).toBe(true);
      expect(spec.link.negatives).toBe(negatives);
    }
  });

  it('takes target recency with exact ranking, which adds the term to every candidate', () => {
    const yaml = (negatives: string) =>
      `task: link\nlink:\n  negatives: ${negatives}\neval:\n  ranking: exact\nmodel:\n  temporal:\n    enabled: true\n    targetRecency: true\n`;
    const spec = parseJobSpec(yaml('uniform'));
    expect(spec.eval.ranking).toBe('exact');
    expect(spec.model.temporal.targetRecency).toBe(true);
    // The negatives' refusal still holds under exact ranking: training needs the drawn targets' gaps.
    const e = errorOf(yaml('in-batch'));
    expect(e.message).toContain('model.temporal.targetRecency');
    expect(e.message).toContain('link.negatives is in-batch');
  });
});
