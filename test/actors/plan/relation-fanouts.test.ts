// sampling.relationFanouts from the job spec to the samplers: YAML mappings and --set text, refusals
// that name the field, names resolved to the graph's edge type ids, and ring sizing that counts them.

import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import { relationFanoutsByType } from '../../../actors/plan/relation-fanouts.js';
import { producerConfigs } from '../../../actors/plan/task-seeds.js';
import { maxBatchBytes } from '../../../actors/batch/batch-producer.js';
import type { EdgeTypeInfo } from '../../../graph-store/types.js';
import { ConfigError } from '../../../runtime/errors.js';

const types: EdgeTypeInfo[] = [
  ['member', 'applied', 'job'],
  ['member', 'has_skill', 'skill'],
  ['job', 'requires', 'skill'],
  ['job', 'rev_applied', 'member'],
  ['skill', 'applied', 'member'],
].map(([src, rel, dst], id) => ({
  id,
  src,
  rel,
  dst,
  count: 10,
  hasTimestamps: false,
  hasWeights: false,
}));

/** What `fn` throws, which must be a ConfigError. */
function errorOf(fn: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe('sampling.relationFanouts', () => {
  it('reads a YAML mapping and --set text', () => {
    const spec = parseJobSpec(
      'sampling:\n  fanouts: [4, 2]\n  relationFanouts:\n    has_skill: [8, 3]\n    job__requires__skill: [2, 0]\n',
    );
    expect(spec.sampling.relationFanouts).toEqual({
      has_skill: [8, 3],
      job__requires__skill: [2, 0],
    });
    const set = applyOverrides(defaultJobSpec(), {
      'sampling.relationFanouts': 'has_skill=8,3; rev_applied=5,2',
    });
    expect(set.sampling.relationFanouts).toEqual({ has_skill: [8, 3], rev_applied: [5, 2] });
    expect(defaultJobSpec().sampling.relationFanouts).toEqual({});
  });

  it('refuses bad values and combinations, naming file, line and field', () => {
    const bad = errorOf(() =>
      parseJobSpec('sampling:\n  relationFanouts:\n    has_skill: [8, x]\n', 'job.yaml'),
    );
    expect(bad.field).toBe('sampling.relationFanouts');
    expect(bad.message).toMatch(/job\.yaml:2.*has_skill: fanout "x"/);
    const hops = errorOf(() =>
      parseJobSpec('sampling:\n  relationFanouts:\n    has_skill: [8]\n', 'job.yaml'),
    );
    expect(hops.field).toBe('sampling.relationFanouts.has_skill');
    expect(hops.message).toMatch(/1 hops but model.layers is 2/);
    const ppr = errorOf(() =>
      parseJobSpec('sampling:\n  strategy: ppr\n  relationFanouts:\n    has_skill: [8, 2]\n'),
    );
    expect(ppr.message).toMatch(/not with sampling.strategy ppr/);
    const budget = errorOf(() =>
      parseJobSpec(
        'sampling:\n  budget:\n    mode: degree\n  relationFanouts:\n    has_skill: [8, 2]\n',
      ),
    );
    expect(budget.message).toMatch(/budget.mode must be fixed/);
    expect(() =>
      applyOverrides(defaultJobSpec(), { 'sampling.relationFanouts': 'has_skill' }),
    ).toThrow(/expected name=fanout/);
  });

  it('resolves names to edge type ids, by key or by an unambiguous relation name', () => {
    expect(
      relationFanoutsByType({ has_skill: [8, 3], skill__applied__member: [1, 1] }, types),
    ).toEqual([null, [8, 3], null, null, [1, 1]]);
    expect(relationFanoutsByType({}, types)).toBeUndefined();
    expect(relationFanoutsByType(undefined, types)).toBeUndefined();
    const unknown = errorOf(() => relationFanoutsByType({ works_at: [1, 1] }, types));
    expect(unknown.field).toBe('sampling.relationFanouts.works_at');
    expect(unknown.message).toMatch(/no edge type 'works_at'; the graph has member__applied__job/);
    // 'applied' names two edge types: the key must be given.
    expect(errorOf(() => relationFanoutsByType({ applied: [1, 1] }, types)).message).toMatch(
      /more than one edge type 'applied'/,
    );
    expect(
      errorOf(() =>
        relationFanoutsByType({ requires: [1, 1], job__requires__skill: [2, 2] }, types),
      ).message,
    ).toMatch(/listed twice/);
  });

  it('sizes batch records for every listed relation and samples all of them in full evaluation', () => {
    const spec = parseJobSpec(
      'task: link\nsampling:\n  fanouts: [4, 2]\n  relationFanouts:\n    has_skill: [8, 3]\n',
    );
    const plain = parseJobSpec('task: link\nsampling:\n  fanouts: [4, 2]\n');
    const g = { dim: 16, numNodes: 1000 };
    expect(maxBatchBytes(spec, g, 1)).toBeGreaterThan(maxBatchBytes(plain, g, 1));
    expect(
      maxBatchBytes({ ...plain, sampling: { ...plain.sampling, fanouts: [12, 5] } }, g, 1),
    ).toBe(maxBatchBytes(spec, g, 1));
    expect(producerConfigs(spec).train.relationFanouts).toEqual({ has_skill: [8, 3] });
    expect(producerConfigs(plain).train.relationFanouts).toBeUndefined();
    const full = applyOverrides(spec, { 'eval.fullNeighbors': true });
    expect(producerConfigs(full).eval.relationFanouts).toEqual({ has_skill: [-1, -1] });
  });
});
