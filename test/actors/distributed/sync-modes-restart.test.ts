// Async updates under weft launch with a trainer killed by SIGKILL mid-epoch: the restarted trainer
// resumes at the updates the shards applied, every batch lands once on every shard, none too stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import {
  finish,
  killAtVersion,
  launchedSpec,
  synthGraphFixture,
} from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-async-restart-', { seed: 3 });

/**
 * Async with localSteps 1: one version per batch. Epochs long enough, and the version polled often
 * enough, that the kill lands inside epoch 1 even when a loaded machine delays the poll.
 */
const BATCHES_PER_EPOCH = 48;
const BOUND = 2;

describe('async updates with a trainer killed mid-epoch', () => {
  it('resumes, applies every batch exactly once on every shard, never past the bound', async () => {
    const spec = launchedSpec(graphDir, join(tmp, 'run'), {
      name: 'async-restart',
      'train.epochs': 3,
      'train.maxStepsPerEpoch': BATCHES_PER_EPOCH,
      'train.sync': 'async',
      'train.staleness': BOUND,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
    });
    const events: string[] = [];
    const job = await LaunchedJob.start(spec, {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const r = await finish(job, () =>
      killAtVersion(job, { role: 'trainer', index: 1 }, BATCHES_PER_EPOCH + 6, { pollMs: 10 }),
    );
    expect(events).toContain('restarting trainer 1');
    const d = r.distributed;
    expect(r.epochs).toBe(3);
    expect(d.sync).toBe('async');
    expect(d.batches_planned).toBe(3 * BATCHES_PER_EPOCH);
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated).toBe(0);
    expect(d.batches_missing).toBe(0);
    expect(d.rounds).toBe(d.batches_planned);
    expect(d.max_staleness).toBeLessThanOrEqual(BOUND);
    expect(r.test.accuracy).toBeGreaterThan(0.4); // 4 classes: chance is 0.25
    // The restarted trainer picked epoch 1 up after the updates it had applied, not from its start.
    const resumed = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; detail?: string })
      .filter((l) => l.kind === 'resumed');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0].detail).toMatch(/^trainer 1 resumed epoch 1 at round [1-9]/);
  }, 90_000);
});
