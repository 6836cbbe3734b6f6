// One synchronous round over a real nats-server (2 trainers, 2 shards, 2 samplers as actors on NATS)
// against plain single-process gradient averaging of the same batches.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeEpochPlan } from '../../../actors/plan/epoch-plan.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { optimizerConfig } from '../../../actors/parameter-server/optimizer-config.js';
import { ParameterStore } from '../../../actors/parameter-server/parameter-store.js';
import { coreOverGraph } from '../../../actors/trainer/trainer-core.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { initBackend } from '../../../kernels/tf/backend.js';
import { natsJobFixture } from '../../helpers/nats-job.js';

const nats = natsJobFixture('weft-dist-step-', {
  g: { nodes: 600, edges: 4000, featureDim: 8, classes: 3, seed: 11 },
});
const { tmp, run: runOverNats } = nats;
const graphDir = join(tmp, 'g');

describe('one synchronous step over NATS', () => {
  it("equals single-process averaging of the trainers' gradients (1e-5)", async () => {
    for (const optimizer of ['sgd', 'adam'] as const) {
      const spec = applyOverrides(defaultJobSpec(), {
        name: `one-step-${optimizer}`,
        graph: graphDir,
        out: join(tmp, `run-${optimizer}`),
        'model.hidden': 8,
        'model.dropout': 0.3,
        'sampling.fanouts': '4,3',
        'sampling.batchSize': 32,
        'train.epochs': 1,
        'train.maxStepsPerEpoch': 2,
        'train.optimizer': optimizer,
        'train.lr': 0.05,
        'train.seed': 7,
        'eval.maxNodes': 64,
        'cluster.trainers': 2,
        'cluster.parameterServers': 2,
        'cluster.samplers': 2,
        'cluster.nats': nats.url(),
      });
      const r = await runOverNats(spec, `one-step-${optimizer}`);
      expect(r.distributed.rounds).toBe(1);
      expect(r.distributed.batches_applied).toBe(2);
      const got = latestCheckpoint(join(tmp, `run-${optimizer}`, 'checkpoints'))!;
      expect(got.step).toBe(1);

      // Reference: one process, both batches on the initial parameters, gradients averaged, one step.
      await initBackend(spec.runtime.backend);
      const graph = await openGraph(graphDir);
      const { core, seeds } = coreOverGraph(spec, graph);
      const initial = core.model.init(spec.train.seed);
      core.setParams(initial);
      const plan = makeEpochPlan(seeds.train, 32, spec.train.seed, 0, 2);
      const grads: Map<string, Float32Array>[] = [];
      for (let b = 0; b < 2; b++) {
        core.step(core.sampleInline(plan.order, 0, b, 32), b);
        grads.push(core.takeGradients());
      }
      const mean = new Map<string, Float32Array>();
      for (const [name, g0] of grads[0]) {
        const g1 = grads[1].get(name)!;
        mean.set(
          name,
          Float32Array.from(g0, (x, i) => (x + g1[i]) / 2),
        );
      }
      const store = new ParameterStore(
        optimizerConfig({ kind: optimizer, lr: 0.05, momentum: 0.9, weightDecay: 0 }),
        initial,
      );
      store.push(mean, 1);
      core.model.dispose();
      let maxDiff = 0;
      let moved = 0;
      for (const [name, want] of store.params) {
        const have = got.tensors.get(name)!;
        expect(have.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(have[i] - want[i]));
          moved = Math.max(moved, Math.abs(want[i] - initial.get(name)![i]));
        }
      }
      expect(moved).toBeGreaterThan(1e-4); // the step did something
      expect(maxDiff).toBeLessThan(1e-5);
    }
  }, 60_000);
});
