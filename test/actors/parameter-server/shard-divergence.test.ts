// A finite update that makes a shard's parameters overflow: the round's pushes fail with the typed
// non-finite error (code non-finite, the tensor and element named), the shard hands no parameter on
// until it is loaded again, and a load with a learning-rate factor lowers the step size.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParameterServerProtocol } from '../../../actors/protocols.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import { isNonFinite } from '../../../actors/parameter-server/non-finite.js';
import { defaultJobSpec } from '../../../actors/job-spec.js';
import { MessageValidationError, RemoteActorError } from '../../../runtime/actor-errors.js';
import { ActorSystem } from '../../../runtime/actor-system.js';

let system: ActorSystem;
beforeEach(async () => {
  system = await ActorSystem.start({ transport: 'inproc' });
});
afterEach(async () => {
  await system.shutdown();
});

async function sgdShard(job: string) {
  const spec = defaultJobSpec();
  Object.assign(spec.train, { optimizer: 'sgd', momentum: 0, weightDecay: 0, lr: 1 });
  const at = { job, role: 'ps', index: 0 };
  await system.spawn(ParameterServerActor, at, { config: { spec, job } });
  return system.client(at, ParameterServerProtocol);
}

const load = (w: number[], version = 0, lrScale?: number) => ({
  params: { w: Float32Array.from(w) },
  version,
  optimizer: { kind: 'sgd' as const, lr: 1, momentum: 0, weightDecay: 0 },
  trainers: 1,
  ...(lrScale !== undefined ? { lrScale } : {}),
});

async function failure(p: Promise<unknown>): Promise<RemoteActorError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteActorError);
  return error as RemoteActorError;
}

describe('a diverged parameter shard', () => {
  it('fails the round that overflowed and hands nothing on until reloaded', async () => {
    const ps = await sgdShard('diverge');
    await ps.ask('load', load([1, 3e38]));
    const push = (round: number, g: number[]) =>
      ps.ask('push', {
        round,
        trainer: 0,
        epoch: 4,
        batches: [0],
        grads: { w: Float32Array.from(g) },
        lr: 1,
      });
    // w[1] - 1 * (-3e38) = 6e38: beyond float32, a finite gradient made it infinite.
    const e = await failure(push(0, [0, -3e38]));
    expect(e.remoteCode).toBe('non-finite');
    expect(e.remoteName).toBe('NonFiniteTrainingError');
    expect(e.remoteMessage).toBe(
      'non-finite parameters: w[1] is Infinity after the update of round 0 (epoch 4) on diverge/ps/0',
    );
    expect(isNonFinite(e)).toBe(true);
    for (const p of [ps.ask('pull', {}), ps.ask('snapshot', {}), push(1, [0, 0])])
      expect((await failure(p)).remoteCode).toBe('non-finite');
    // The ledger still answers (a rollback counts the discarded batches from it).
    expect((await ps.ask('ledger', { from: 0 })).rounds.map((r) => r.round)).toEqual([0]);
    // A load (the coordinator's rollback) makes it healthy again, here at a tenth of the rate.
    await ps.ask('load', load([1, 2], 0, 0.1));
    const r = await push(0, [10, 10]);
    expect(Array.from(r.params.w)).toEqual([0, 1]);
  });

  it('refuses a learning-rate factor above 1 or not positive', async () => {
    const ps = await sgdShard('lr-scale');
    for (const lrScale of [2, 0, -1]) {
      const e = await ps.ask('load', load([1], 0, lrScale)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MessageValidationError);
      expect((e as MessageValidationError).field).toBe('lrScale');
    }
  });
});
