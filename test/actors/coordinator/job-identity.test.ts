// Which checkpoints are a job's own: the name and the hash of the fields that change the model; the
// operational fields (length, placement, timeouts, where it writes) leave the identity alone.
import { describe, expect, it } from 'vitest';
import {
  identityDifferences,
  jobIdentityOf,
  sameJob,
} from '../../../actors/coordinator/job-identity.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';

const base = applyOverrides(defaultJobSpec(), { name: 'cora', graph: 'data/cora' });
const with_ = (over: Record<string, unknown>) => applyOverrides(base, over);

describe('job identity', () => {
  it('ignores where a run writes, how long it runs, its placement and its timeouts', () => {
    const operational = with_({
      out: '/elsewhere',
      'train.epochs': 99,
      'train.checkpointEvery': 5,
      'sampling.prefetch': 16,
      'cluster.parameterServers': 4,
      'cluster.nats': 'nats://other:4222',
      'timeouts.startMs': 5,
      'runtime.metricsPort': 9464,
      // The same graph, named relative to the working directory or absolutely.
      graph: `${process.cwd()}/data/cora`,
    });
    expect(jobIdentityOf(operational)).toEqual(jobIdentityOf(base));
    expect(sameJob(base, operational)).toBe(true);
    expect(identityDifferences(base, operational)).toEqual([]);
  });

  it('tells apart a spec that changes the model, naming the fields', () => {
    for (const [field, value] of [
      ['model.hidden', 64],
      ['train.lr', 0.5],
      ['train.seed', 7],
      ['sampling.fanouts', [3, 3]],
      ['cluster.trainers', 2],
      ['graph', 'data/other'],
    ] as const) {
      const other = with_({ [field]: value });
      expect(jobIdentityOf(other).specHash, field).not.toBe(jobIdentityOf(base).specHash);
      expect(identityDifferences(base, other)).toEqual([field]);
      expect(sameJob(base, other)).toBe(false);
    }
    const renamed = with_({ name: 'cora-2' });
    expect(sameJob(base, renamed)).toBe(false);
    expect(identityDifferences(base, renamed)).toEqual(['name']);
    expect(sameJob(base, undefined)).toBe(false);
  });
});
