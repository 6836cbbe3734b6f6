// What arrives at a parameter shard is checked before anything is applied: non-finite or misshapen
// tensors are refused with a typed error and counted; the step size is the job spec's, never the
// message's; `load`, `push` and `shutdown` need the job's control secret when the actor holds one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTROL_SECRET_ENV, sealed } from '../../../actors/control-secret.js';
import { ParameterServerProtocol } from '../../../actors/protocols.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import { defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { RemoteActorError } from '../../../runtime/actor-errors.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { threadMetrics } from '../../../runtime/metrics.js';

let system: ActorSystem;
beforeEach(async () => {
  system = await ActorSystem.start({ transport: 'inproc' });
});
afterEach(async () => {
  delete process.env[CONTROL_SECRET_ENV];
  await system.shutdown();
});

function sgdSpec(): JobSpec {
  const spec = defaultJobSpec();
  spec.train.optimizer = 'sgd';
  spec.train.momentum = 0;
  spec.train.weightDecay = 0;
  spec.train.lr = 0.1;
  spec.train.localSteps = 1;
  spec.train.lrScaling = 'none';
  spec.cluster.trainers = 1;
  return spec;
}

async function shard(job: string, spec: JobSpec) {
  const at = { job, role: 'ps', index: 0 };
  const ref = await system.spawn(ParameterServerActor, at, { config: { spec, job } });
  const ps = system.client(at, ParameterServerProtocol);
  return { ref, ps };
}

const load = (params: Record<string, Float32Array>, lr = 0.1) => ({
  params,
  version: 0,
  optimizer: { kind: 'sgd' as const, lr, momentum: 0, weightDecay: 0 },
  trainers: 1,
});

async function refusedCount(job: string, reason: string): Promise<number> {
  const metrics = await threadMetrics().registry.getMetricsAsJSON();
  const m = metrics.find((x) => x.name === 'weft_messages_refused_total');
  const v = (m?.values ?? []).find(
    (x) => x.labels.weft_job === job && x.labels.role === 'ps' && x.labels.reason === reason,
  );
  return Number(v?.value ?? 0);
}

async function refusal(p: Promise<unknown>): Promise<RemoteActorError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteActorError);
  expect((error as RemoteActorError).remoteName).toBe('RefusedMessageError');
  return error as RemoteActorError;
}

describe('parameter shard refusals', () => {
  it('refuses a load with NaN parameters and keeps what it had', async () => {
    const { ps } = await shard('refuse-load', sgdSpec());
    await ps.ask('load', load({ w: Float32Array.from([1, 2]) }));
    const e = await refusal(ps.ask('load', load({ w: Float32Array.from([1, NaN]) })));
    expect(e.remoteMessage).toMatch(/params\.w\[1\] is NaN/);
    expect(Array.from((await ps.ask('pull', {})).params.w)).toEqual([1, 2]);
    expect(await refusedCount('refuse-load', 'non_finite')).toBe(1);
    expect(await refusedCount('refuse-load', 'shape')).toBe(0);
  });

  it('refuses non-finite, misshapen and unknown gradients; applies none of them', async () => {
    const { ps } = await shard('refuse-push', sgdSpec());
    await ps.ask('load', load({ w: Float32Array.from([1, 2, 3]) }));
    const push = (grads: Record<string, Float32Array>) =>
      ps.ask('push', { round: 0, trainer: 0, epoch: 0, batches: [0], grads, lr: 0.1 });
    await refusal(push({ w: Float32Array.from([0, Infinity, 0]) }));
    await refusal(push({ w: Float32Array.from([0, 0]) }));
    await refusal(push({ v: Float32Array.from([0, 0, 0]) }));
    const after = await ps.ask('pull', {});
    expect(after.version).toBe(0);
    expect(Array.from(after.params.w)).toEqual([1, 2, 3]);
    expect(await refusedCount('refuse-push', 'non_finite')).toBe(1);
    expect(await refusedCount('refuse-push', 'shape')).toBe(2);
  });

  it("steps with the spec's learning rate whatever the push or the load says", async () => {
    const { ps } = await shard('spec-lr', sgdSpec());
    // A load claiming lr 100 and a push claiming 1e6: the spec says 0.1.
    await ps.ask('load', load({ w: Float32Array.from([1, 1]) }, 100));
    const r = await ps.ask('push', {
      round: 0,
      trainer: 0,
      epoch: 0,
      batches: [0],
      grads: { w: Float32Array.from([1, -1]) },
      lr: 1e6,
    });
    expect(r.version).toBe(1);
    expect(Array.from(r.params.w)).toEqual([Math.fround(0.9), Math.fround(1.1)]);
  });

  it('honours shutdown only with the control secret when it holds one', async () => {
    process.env[CONTROL_SECRET_ENV] = 'the-secret';
    const { ref, ps } = await shard('secret', sgdSpec());
    system.tell(ps.address, 'shutdown', {});
    system.tell(ps.address, 'shutdown', { secret: 'a-guess' });
    await new Promise((r) => setTimeout(r, 200));
    expect(ref.state).toBe('running');
    expect(await refusedCount('secret', 'sender')).toBe(2);
    system.tell(ps.address, 'shutdown', { secret: 'the-secret' });
    for (let i = 0; i < 50 && ref.state === 'running'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(ref.state).toBe('stopped');
  });

  it('refuses load and push without the control secret, and applies what carries it', async () => {
    process.env[CONTROL_SECRET_ENV] = 'the-secret';
    const { ps } = await shard('secret-verbs', sgdSpec());
    // A stranger's load: refused before its tensors are looked at, even when they are finite.
    const e = await refusal(ps.ask('load', load({ w: Float32Array.from([5, 5]) })));
    expect(e.remoteMessage).toMatch(/load refused: .*control secret/);
    await refusal(ps.ask('load', { ...load({ w: Float32Array.from([5, 5]) }), secret: 'guess' }));
    await ps.ask('load', sealed(load({ w: Float32Array.from([1, 1]) })));
    const push = { round: 0, trainer: 0, epoch: 0, batches: [0], lr: 0.1 };
    // An empty contribution would complete the round for the only trainer: refused unsigned.
    await refusal(ps.ask('push', { ...push, batches: [], grads: {} }));
    await refusal(ps.ask('push', { ...push, grads: { w: Float32Array.from([1e30, 1e30]) } }));
    expect(await refusedCount('secret-verbs', 'sender')).toBe(4);
    const before = await ps.ask('pull', {});
    expect(before.version).toBe(0);
    expect(Array.from(before.params.w)).toEqual([1, 1]);
    const r = await ps.ask('push', sealed({ ...push, grads: { w: Float32Array.from([1, -1]) } }));
    expect(r.version).toBe(1);
    expect(Array.from(r.params.w)).toEqual([Math.fround(0.9), Math.fround(1.1)]);
    expect(await refusedCount('secret-verbs', 'sender')).toBe(4);
  });
});
