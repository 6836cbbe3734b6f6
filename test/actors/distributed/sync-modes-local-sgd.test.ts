// Local SGD (train.sync local-sgd) over a real nats-server: with K = 1 and plain SGD it makes exactly
// the updates of synchronous gradient averaging, and with K = 4 it trains a small graph to sane accuracy.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMeanDelta, LocalSgd } from '../../../actors/parameter-server/local-sgd.js';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { optimizerConfig } from '../../../actors/parameter-server/optimizer-config.js';
import { ParameterStore } from '../../../actors/parameter-server/parameter-store.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import { ConfigError } from '../../../runtime/errors.js';
import { SMALL_GRAPH } from '../../helpers/launched-job.js';
import { natsJobFixture } from '../../helpers/nats-job.js';

const nats = natsJobFixture('weft-local-sgd-', {
  tiny: { nodes: 600, edges: 4000, featureDim: 8, classes: 3, seed: 11 },
  small: { ...SMALL_GRAPH, seed: 5 },
});
const { tmp, run: runOverNats } = nats;
const tinyGraph = join(tmp, 'tiny');
const smallGraph = join(tmp, 'small');

const randomMap = (rng: Xoshiro128Float, sizes: number[], scale: number) =>
  new Map(
    sizes.map((n, i) => [
      `p${i}`,
      Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale),
    ]),
  );

describe('local SGD, trainer and shard sides', () => {
  it('with K = 1 and plain SGD, the mean of the deltas is one averaged gradient step (many seeds)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Xoshiro128Float(seed, 3);
      const sizes = [1 + Math.floor(rng.next() * 40), 1 + Math.floor(rng.next() * 40)];
      const lr = 0.01 + rng.next() * 0.2;
      const spec = applyOverrides(defaultJobSpec(), {
        'train.sync': 'local-sgd',
        'train.optimizer': 'sgd',
        'train.momentum': 0,
        'train.lr': lr,
      });
      const start = randomMap(rng, sizes, 1);
      const trainers = 1 + Math.floor(rng.next() * 4);
      const grads = Array.from({ length: trainers }, () => randomMap(rng, sizes, 2));
      // Shard: sum of the trainers' deltas / trainers, added to the start.
      const mean = new Map(sizes.map((n, i) => [`p${i}`, new Float32Array(n)]));
      for (const g of grads) {
        const local = new LocalSgd(spec);
        local.begin(start);
        local.step(g);
        for (const [k, d] of local.delta()) {
          const acc = mean.get(k)!;
          for (let i = 0; i < d.length; i++) acc[i] += d[i] / trainers;
        }
      }
      const shard = new ParameterStore(
        optimizerConfig({ kind: 'sgd', lr, momentum: 0, weightDecay: 0 }),
        start,
      );
      shard.version = 3;
      applyMeanDelta(shard, mean);
      expect(shard.version).toBe(4);
      // Reference: params − lr × mean gradient, in float64.
      for (const [k, p] of shard.params) {
        const s = start.get(k)!;
        for (let i = 0; i < p.length; i++) {
          let g = 0;
          for (const gr of grads) g += gr.get(k)![i];
          expect(Math.abs(p[i] - (s[i] - (lr * g) / trainers))).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('K steps move the local copy K times; begin() restarts the delta at zero', () => {
    const spec = applyOverrides(defaultJobSpec(), {
      'train.sync': 'local-sgd',
      'train.optimizer': 'sgd',
      'train.momentum': 0,
      'train.lr': 0.5,
    });
    const local = new LocalSgd(spec);
    local.begin(new Map([['w', Float32Array.from([1, 2])]]));
    for (let k = 0; k < 4; k++) local.step(new Map([['w', Float32Array.from([1, -1])]]));
    expect([...local.delta().get('w')!]).toEqual([-2, 2]);
    local.begin(new Map([['w', Float32Array.from([5, 5])]]));
    expect([...local.delta().get('w')!]).toEqual([0, 0]);
  });

  it('rejects lrScaling with local-sgd and multi-step groups with a non-aggregate sync, naming the field', () => {
    expect(() =>
      parseJobSpec('train:\n  sync: local-sgd\n  lrScaling: sqrt\n', 'job.yaml'),
    ).toThrow(ConfigError);
    try {
      parseJobSpec('train:\n  sync: local-sgd\n  lrScaling: sqrt\n', 'job.yaml');
    } catch (e) {
      expect((e as ConfigError).message).toContain('train.lrScaling');
      expect((e as ConfigError).message).toContain('job.yaml:3');
    }
    expect(() =>
      parseJobSpec(
        'task: link\nlink:\n  groupSize: 4\n  stepsPerGroup: 2\ntrain:\n  sync: async\n',
        'job.yaml',
      ),
    ).toThrow(/link\.stepsPerGroup/);
    expect(() =>
      parseJobSpec('model:\n  idEmbedding:\n    enabled: true\ntrain:\n  sync: local-sgd\n'),
    ).toThrow(/train\.sync/);
    expect(parseJobSpec('train:\n  sync: async\n  staleness: 2\n').train.staleness).toBe(2);
  });
});

describe('local SGD over NATS', () => {
  const tinySpec = (sync: 'aggregate' | 'local-sgd', name: string) =>
    applyOverrides(defaultJobSpec(), {
      name,
      graph: tinyGraph,
      out: join(tmp, name),
      'model.hidden': 8,
      'model.dropout': 0.3,
      'sampling.fanouts': '4,3',
      'sampling.batchSize': 32,
      'train.epochs': 1,
      'train.maxStepsPerEpoch': 6,
      'train.optimizer': 'sgd',
      'train.momentum': 0,
      'train.lr': 0.05,
      'train.seed': 7,
      'train.sync': sync,
      'eval.maxNodes': 64,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': nats.url(),
    });

  it('K = 1 with SGD ends at the parameters of synchronous averaging (1e-5)', async () => {
    const agg = await runOverNats(tinySpec('aggregate', 'lsgd-agg'), 'lsgd-agg');
    const loc = await runOverNats(tinySpec('local-sgd', 'lsgd-k1'), 'lsgd-k1');
    expect(agg.distributed.rounds).toBe(3);
    expect(loc.distributed.rounds).toBe(3);
    expect(loc.distributed.sync).toBe('local-sgd');
    expect(loc.distributed.batches_applied).toBe(6);
    expect(loc.distributed.batches_repeated + loc.distributed.batches_missing).toBe(0);
    const a = latestCheckpoint(join(tmp, 'lsgd-agg', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'lsgd-k1', 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    const initial = buildModel(tinySpec('aggregate', 'x'), 8, 3).init(7);
    let maxDiff = 0;
    let moved = 0;
    for (const [name, x] of a.tensors) {
      if (name.includes('#')) continue;
      const y = b.tensors.get(name)!;
      const x0 = initial.get(name)!;
      for (let i = 0; i < x.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
        moved = Math.max(moved, Math.abs(x[i] - x0[i]));
      }
    }
    expect(moved).toBeGreaterThan(1e-3); // three rounds of steps did something
    expect(maxDiff).toBeLessThan(1e-5);
  }, 60_000);

  it('K = 4 trains a small graph to sane accuracy, every batch once', async () => {
    const name = 'lsgd-k4';
    const spec = applyOverrides(defaultJobSpec(), {
      name,
      graph: smallGraph,
      out: join(tmp, name),
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 64,
      'train.epochs': 3,
      'train.localSteps': 4,
      'train.sync': 'local-sgd',
      'train.checkpointEvery': 0,
      'eval.maxNodes': 400,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': nats.url(),
    });
    const r = await runOverNats(spec, name);
    const d = r.distributed;
    expect(d.local_steps).toBe(4);
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated + d.batches_missing).toBe(0);
    // 4 classes: chance is about 0.25.
    expect(r.test.accuracy).toBeGreaterThan(0.6);
  }, 60_000);
});
