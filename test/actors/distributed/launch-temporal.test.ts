// The temporal activity model across processes: `weft launch` on a synthetic marketplace, samplers
// shipping each pair's activity sequence, long-term targets and target gaps to trainers over NATS
// (the pair-recency term reads its gaps off the sequences), target gaps alone to the static model
// with the target-recency term, shards holding the transformer's parameters by name, the same parameters at the end as the
// single-process run, and its exact ranking among every job.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { singleAndLaunched } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-temporal-'));
const graph = join(tmp, 'market');
beforeAll(() => synthMarketplace({ members: 600, applicationsPerMember: 8, seed: 5 }, graph));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = () => ({
  graph,
  task: 'link',
  'link.edgeType': 'member__applied__job',
  'model.hidden': 16,
  'sampling.fanouts': '5,5',
  'sampling.batchSize': 256,
  'train.epochs': 2,
  'train.lr': 0.01,
  'model.dropout': 0.1,
  'link.numNegatives': 1,
  'model.temporal.enabled': true,
  'model.temporal.sequenceLength': 8,
  'model.temporal.heads': 2,
  'model.temporal.embeddings': 2,
  'model.temporal.score': 'attention',
  'model.temporal.longTerm.enabled': true,
});

/** One epoch with the target-recency term, ranked among every job. */
const withTargetRecency = () => ({
  ...base(),
  'train.epochs': 1,
  'model.temporal.targetRecency': true,
  'eval.ranking': 'exact',
});

/** Runs `spec` in one process and launched; their metrics and every parameter agree. */
async function launchedMatchesSingle(spec: Record<string, unknown>, name: string, tag = '') {
  // Two trainers with one batch each per round make the update one trainer makes from two.
  const {
    single,
    launched: r,
    singleDir,
    runDir,
  } = await singleAndLaunched(spec, tmp, name, { tag });
  expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
  expect(Math.abs(r.test.mrr - single.test.mrr)).toBeLessThanOrEqual(0.01);
  // A sequence that went astray on the way would change the updates: the same values at the end.
  const ckpt = expectSameParameters(singleDir, runDir);
  const names = [...ckpt.tensors.keys()];
  const temporal = names.filter((n) => n.startsWith('temporal.'));
  // The static model with the target-recency term holds that term's weights alone (and their
  // optimizer state, `name#…`).
  if (spec['model.temporal.enabled']) expect(temporal.length).toBeGreaterThan(10);
  else expect(temporal.filter((n) => !n.includes('#'))).toEqual(['temporal.recency.weight']);
  if (spec['eval.ranking'] === 'exact') {
    expect(r.test.exact_count).toBe(r.test.count);
    expect(Math.abs(r.test.exact_mrr - single.test.exact_mrr)).toBeLessThanOrEqual(0.01);
    // The baselines read the log only: the same pairs give the same numbers in both placements.
    expect(r.test.seen_stream_exact_mrr).toBe(single.test.seen_stream_exact_mrr);
  }
  return { single, launched: r, ckpt };
}

/** A term's weights, which start at 0, trained from what the trainers received over NATS. */
function expectTrained(ckpt: ReturnType<typeof expectSameParameters>, name: string): void {
  const w = ckpt.tensors.get(name);
  expect(w && Array.from(w).some((v) => v !== 0), name).toBe(true);
}

describe('model.temporal under weft launch', () => {
  it('trains the temporal model from sequences that travel over NATS', async () => {
    // The temporal model ranked among every job too, on trainer 0 of the launched job.
    const spec = { ...base(), 'eval.ranking': 'exact' };
    const { launched: r, ckpt } = await launchedMatchesSingle(spec, 'temporal-launch-test');
    expect(r.test.exact_candidates).toBeGreaterThan(r.test.negatives);
    for (const name of [
      'temporal.layer0.attn.wq',
      'temporal.heads.weight',
      'temporal.future.weight',
    ])
      expect(ckpt.tensors.has(name), name).toBe(true);
  }, 300_000);

  it("ships each target's gap with the sequences (target recency), scored among every job too, pair recency over a partner window with its rank buckets and history negatives included", async () => {
    const spec = {
      ...withTargetRecency(),
      'model.temporal.pairRecency': true,
      'model.temporal.pairWindow': 16,
      'model.temporal.pairRank': true,
      // Training negatives from the members' earlier jobs too, drawn where the sampler runs.
      'link.historyNegatives': 0.5,
    };
    const { ckpt } = await launchedMatchesSingle(spec, 'temporal-recency-launch-test', '-recency');
    expect(ckpt.tensors.has('temporal.recency.weight')).toBe(true);
    // The pair term trained from the partner lists the trainers received.
    expectTrained(ckpt, 'temporal.pairRecency.weight');
    expectTrained(ckpt, 'temporal.pairRecency.rankWeight');
  }, 300_000);

  it("ships each target's gap without sequences to the static model with the term (its control)", async () => {
    const spec = {
      ...withTargetRecency(),
      'model.temporal.enabled': false,
      'model.temporal.longTerm.enabled': false,
    };
    const { ckpt } = await launchedMatchesSingle(spec, 'static-recency-launch-test', '-static');
    // The term trained from the gaps the trainers received, equal to the single process's.
    expectTrained(ckpt, 'temporal.recency.weight');
  }, 300_000);
});
