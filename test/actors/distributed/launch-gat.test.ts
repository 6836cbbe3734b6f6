// The GAT encoder through the one pipeline: `weft launch` (trainers, parameter-server shards and
// samplers as processes on a real nats-server) against the single-process run on Cora; the shards
// hold the attention parameters and both runs end with the same values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCora, coraMissing, haveCora } from '../../helpers/cora.js';
import { singleAndLaunched } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-gat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveCora)('model.encoder gat under weft train and weft launch (Cora)', () => {
  it('trains the same attention parameters in one process and across processes', async () => {
    const g = join(tmp, 'cora');
    await buildCora(g);
    const base = {
      graph: g,
      'train.seed': 2,
      'train.epochs': 15,
      'model.encoder': 'gat',
      'model.hidden': 32,
      'model.dropout': 0.6,
      'model.attention.heads': 4,
      'sampling.fanouts': '10,10',
      'sampling.batchSize': 70,
      'train.lr': 0.01,
      'train.weightDecay': 0.0005,
      'eval.fullNeighbors': true,
    };
    // Two trainers with one batch each per round make the update one trainer makes from two.
    const {
      single,
      launched: r,
      singleDir,
      runDir,
    } = await singleAndLaunched(base, tmp, 'gat-launch-test');
    // Far above the 0.3 of the majority class: the attention layers learn.
    expect(single.test.accuracy).toBeGreaterThan(0.6);
    expect(Math.abs(r.test.accuracy - single.test.accuracy)).toBeLessThanOrEqual(0.01);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    const a = expectSameParameters(singleDir, runDir);
    // Parameters, then their optimizer slots as `name#slot`.
    const names = [...a.tensors.keys()].filter((n) => !n.includes('#')).sort();
    expect(names).toEqual(
      ['0', '1']
        .flatMap((l) => ['attnDst', 'attnSrc', 'bias', 'weight'].map((p) => `gat${l}.${p}`))
        .sort(),
    );
  }, 180_000);
});
if (!haveCora) console.warn(`${coraMissing}: the GAT launch test on Cora is skipped`);
