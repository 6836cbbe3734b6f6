// Test helper: a test file's own nats-server and synthetic graphs, and a whole distributed job (every ps
// shard, sampler and trainer as an actor of one system) run on it, to compare with single-process training.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runDistributedTraining } from '../../actors/distributed/distributed-job.js';
import { SamplerActor } from '../../actors/sampler/sampler-actor.js';
import { TrainerActor } from '../../actors/trainer/trainer-actor.js';
import { ParameterServerActor } from '../../actors/parameter-server/parameter-server-actor.js';
import type { JobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw, type PowerlawOptions } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

/** Runs job `job` of `spec` with all its actors hosted by one system on the nats-server at `url`. */
export async function runJobOverNats(url: string, spec: JobSpec, job: string) {
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { servers: url },
    heartbeatMs: 500,
  });
  try {
    const cfg = { config: { spec, job }, placement: 'local' as const };
    for (let p = 0; p < spec.cluster.parameterServers; p++)
      await system.spawn(ParameterServerActor, { job, role: 'ps', index: p }, cfg);
    for (let j = 0; j < spec.cluster.samplers; j++)
      await system.spawn(SamplerActor, { job, role: 'sampler', index: j }, cfg);
    for (let t = 0; t < spec.cluster.trainers; t++)
      await system.spawn(TrainerActor, { job, role: 'trainer', index: t }, cfg);
    return await runDistributedTraining(spec, { nats: { servers: url }, job });
  } finally {
    await system.shutdown();
  }
}

/**
 * A temp folder (removed after the file) with a powerlaw graph per `graphs` entry (folder name → options)
 * and a nats-server allowing 1 MiB payloads, both made before the tests; `run` runs a job on that server.
 */
export function natsJobFixture(prefix: string, graphs: Record<string, PowerlawOptions>) {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  let server: NatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer({ maxPayloadBytes: 1024 * 1024 });
    for (const [name, graph] of Object.entries(graphs)) await synthPowerlaw(graph, join(tmp, name));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const url = () => server!.url;
  return { tmp, url, run: (spec: JobSpec, job: string) => runJobOverNats(url(), spec, job) };
}
