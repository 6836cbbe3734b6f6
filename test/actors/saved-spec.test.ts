// Runs written by an older Weft: their saved specs lack the fields added since. `weft eval` reads such
// a run and a restart resumes it, the missing fields taking the values that older version meant.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { sameJob } from '../../actors/coordinator/job-identity.js';
import { evaluateRun } from '../../actors/inference/evaluate-run.js';
import { defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { upgradeSavedSpec } from '../../actors/saved-spec.js';
import { tempRoot, trainNodeRun, type TrainedFixture } from './inference/fixture.js';

type Tree = Record<string, Record<string, unknown>>;

/** `spec` as a Weft from before PPR relations, per-type projections, eval.relations and the pointer wrote it. */
function olderSpec(spec: JobSpec): JobSpec {
  const old = structuredClone(spec) as unknown as Tree;
  delete old.sampling.ppr;
  delete old.model.inputProjection;
  delete old.eval.relations;
  delete (old.model.temporal as Record<string, unknown>).pointer;
  return old as unknown as JobSpec;
}

describe('upgradeSavedSpec', () => {
  it('fills what an older spec lacks with the defaults, keeping what it has', () => {
    const spec = defaultJobSpec();
    spec.model.hidden = 7;
    const old = olderSpec(spec);
    const before = JSON.stringify(old);
    const up = upgradeSavedSpec(old);
    expect(JSON.stringify(old)).toBe(before);
    expect(up).toEqual(spec);
    expect(up.model.hidden).toBe(7);
    expect(sameJob(spec, old)).toBe(false);
    expect(sameJob(spec, up)).toBe(true);
  });

  it('a temporal run from before the pointer term trained without it', () => {
    const spec = defaultJobSpec();
    spec.model.temporal.enabled = true;
    const up = upgradeSavedSpec(olderSpec(spec));
    expect(up.model.temporal.pointer).toBe(false);
    expect(up.model.temporal.enabled).toBe(true);
    // A saved value is never replaced.
    spec.model.temporal.pointer = true;
    const saved = olderSpec(spec) as unknown as Tree;
    (saved.model.temporal as Record<string, unknown>).pointer = true;
    expect(upgradeSavedSpec(saved as unknown as JobSpec).model.temporal.pointer).toBe(true);
  });
});

describe('a run whose checkpoints an older Weft wrote', () => {
  const root = tempRoot('weft-saved-spec-');
  let run: TrainedFixture;
  beforeAll(async () => {
    run = await trainNodeRun(root.dir);
    // Strip the newest fields from every checkpoint's saved spec, as the older version wrote it.
    const ckpts = join(run.runDir, 'checkpoints');
    for (const v of readdirSync(ckpts).filter((d) => d.startsWith('v'))) {
      const path = join(ckpts, v, 'manifest.json');
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      manifest.meta.spec = olderSpec(manifest.meta.spec);
      writeFileSync(path, JSON.stringify(manifest));
    }
  }, 120_000);
  afterAll(root.cleanup);

  it('weft eval scores it as the run reported', async () => {
    const r = await evaluateRun(run.runDir, { split: 'test' });
    expect(r.test).toEqual(run.results.test);
  }, 120_000);

  it('the same job resumes it instead of refusing it as another', async () => {
    const more = await runTraining(
      { ...run.spec, train: { ...run.spec.train, epochs: 2 } },
      { resume: true },
    );
    expect(more.epochs).toBe(2);
    // A job that differs in a filled field is still another job.
    const other = structuredClone(run.spec);
    other.model.temporal.pointer = false;
    await expect(runTraining(other, { resume: true })).rejects.toThrow(
      /differing in model\.temporal\.pointer/,
    );
  }, 180_000);
});
