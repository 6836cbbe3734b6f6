import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, jobSpecDoc, parseJobSpec } from '../../actors/job-spec.js';
import { configErrorOf as errorOf } from '../helpers/config-error.js';

describe('job spec', () => {
  it('fills defaults and reads nested fields', () => {
    const spec = parseJobSpec(
      'name: cora\ngraph: data/cora\nmodel:\n  hidden: 64\nsampling:\n  fanouts: [10, 5]\n',
    );
    expect(spec.name).toBe('cora');
    expect(spec.model.hidden).toBe(64);
    expect(spec.model.layers).toBe(2);
    expect(spec.sampling.fanouts).toEqual([10, 5]);
    expect(spec.train.optimizer).toBe(defaultJobSpec().train.optimizer);
  });

  it('names file, line and field of a wrong value', () => {
    const err = errorOf(() =>
      parseJobSpec('name: x\ntrain:\n  epochs: 3\n  lr: fast\n', 'job.yaml'),
    );
    expect(err.field).toBe('train.lr');
    expect(err.file).toBe('job.yaml:4');
    expect(err.message).toContain('expected a number');
  });

  it('rejects unknown fields and bad enums with their path', () => {
    expect(errorOf(() => parseJobSpec('model:\n  hiden: 3\n', 'j.yaml')).field).toBe('model.hiden');
    const e = errorOf(() => parseJobSpec('train:\n  optimizer: lbfgs\n', 'j.yaml'));
    expect(e.field).toBe('train.optimizer');
    expect(e.message).toContain('adam, adamw, sgd, adagrad');
  });

  it('checks bounds and cross-field rules', () => {
    expect(errorOf(() => parseJobSpec('model:\n  dropout: 1.5\n')).message).toContain('<= 0.95');
    expect(errorOf(() => parseJobSpec('model:\n  layers: 3\n')).field).toBe('sampling.fanouts');
  });

  it('chooses the encoder and checks the attention fields against the model', () => {
    const spec = parseJobSpec('model:\n  encoder: gat\n  hidden: 64\n');
    expect(spec.model.encoder).toBe('gat');
    expect(spec.model.attention).toEqual({
      heads: 8,
      outputHeads: 1,
      dropout: 0.6,
      negativeSlope: 0.2,
    });
    expect(defaultJobSpec().model.encoder).toBe('sage');
    const heads = errorOf(() =>
      parseJobSpec('model:\n  encoder: gat\n  hidden: 60\n  attention:\n    heads: 8\n', 'g.yaml'),
    );
    expect(heads.field).toBe('model.attention.heads');
    expect(heads.file).toBe('g.yaml:5');
    expect(heads.message).toContain('multiple');
    const norm = errorOf(() => parseJobSpec('model:\n  encoder: gat\n  norm: layer\n', 'g.yaml'));
    expect(norm.field).toBe('model.norm');
    expect(errorOf(() => parseJobSpec('model:\n  encoder: rnn\n')).message).toContain('sage, gat');
    expect(parseJobSpec('model:\n  encoder: rgcn\n').model.relations.bases).toBe(0);
    // Relation messages averaged by default: a node's norm does not grow with its relations.
    expect(parseJobSpec('model:\n  encoder: rgcn\n').model.relations.aggregate).toBe('mean');
    const summed = 'model:\n  encoder: rgcn\n  relations:\n    aggregate: sum\n';
    expect(parseJobSpec(summed).model.relations.aggregate).toBe('sum');
    const ppr = errorOf(() =>
      parseJobSpec('model:\n  encoder: rgcn\nsampling:\n  strategy: ppr\n', 'r.yaml'),
    );
    expect(ppr.field).toBe('sampling.strategy');
    expect(ppr.file).toBe('r.yaml:4');
    const parts = errorOf(() =>
      parseJobSpec('model:\n  encoder: rgcn\ncluster:\n  partitions: parts\n'),
    );
    expect(parts.field).toBe('cluster.partitions');
    // The same widths are fine for sage, which has no heads.
    expect(parseJobSpec('model:\n  hidden: 60\n').model.hidden).toBe(60);
  });

  it('reports YAML syntax errors with a line', () => {
    const err = errorOf(() => parseJobSpec('a: [1, 2\nb: 3\n', 'bad.yaml'));
    expect(err.file).toMatch(/^bad\.yaml:\d+$/);
  });

  it('applies command-line overrides with validation', () => {
    const spec = applyOverrides(defaultJobSpec(), {
      'train.epochs': '7',
      'sampling.fanouts': '5,5',
    });
    expect(spec.train.epochs).toBe(7);
    expect(spec.sampling.fanouts).toEqual([5, 5]);
    expect(errorOf(() => applyOverrides(defaultJobSpec(), { 'train.epochs': '-1' })).field).toBe(
      'train.epochs',
    );
  });

  it('documents every field', () => {
    const doc = jobSpecDoc();
    expect(doc).toContain('`sampling.fanouts`');
    expect(doc).toContain('`train.localSteps`');
  });
});

describe('docs/job-spec.md', () => {
  it('is generated from the declaration', async () => {
    const { readFileSync } = await import('node:fs');
    const { jobSpecPage } = await import('../../actors/job-spec.js');
    const committed = readFileSync(new URL('../../docs/job-spec.md', import.meta.url), 'utf8');
    expect(committed, 'run `npx tsx scripts/gen-docs.ts` to regenerate docs/job-spec.md').toBe(
      `${jobSpecPage()}\n`,
    );
  });
});
