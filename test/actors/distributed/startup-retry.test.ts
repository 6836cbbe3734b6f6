// The coordinator's start-up load rides out a shard that is down at that moment (killed right after its
// hello, restarted by the launcher): the load is retried until the new process answers.
import { describe, expect, it } from 'vitest';
import { loadInitial } from '../../../actors/coordinator/shard-io.js';
import { ParameterServerProtocol } from '../../../actors/protocols.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import { planShards } from '../../../actors/parameter-server/shard-plan.js';
import { defaultJobSpec } from '../../../actors/job-spec.js';
import { ActorSystem } from '../../../runtime/actor-system.js';

describe('start-up load', () => {
  it('is retried while a shard is down, whatever the restart delay', async () => {
    const spec = defaultJobSpec();
    spec.cluster.parameterServers = 2;
    const initial = new Map([
      ['w', Float32Array.from({ length: 40 }, (_, i) => i / 40)],
      ['b', new Float32Array(6).fill(0.5)],
    ]);
    const plan = planShards(
      [...initial].map(([n, v]) => [n, v.length] as [string, number]),
      2,
    );
    for (let attempt = 0; attempt < 5; attempt++) {
      const system = await ActorSystem.start({ transport: 'inproc' });
      try {
        const job = `startup-${attempt}`;
        const at = (p: number) => ({ job, role: 'ps', index: p });
        const cfg = { config: {}, placement: 'local' as const };
        // Shard 0 answers; shard 1 was killed after its hello and comes back a little later.
        await system.spawn(ParameterServerActor, at(0), cfg);
        const shards = [0, 1].map((p) => system.client(at(p), ParameterServerProtocol));
        const loading = loadInitial(shards, plan, spec, initial);
        await new Promise((r) => setTimeout(r, 50 + 60 * attempt));
        await system.spawn(ParameterServerActor, at(1), cfg);
        await loading;
        for (const c of shards) expect((await c.ask('stats', {})).loaded).toBe(true);
      } finally {
        await system.shutdown();
      }
    }
  });
});
