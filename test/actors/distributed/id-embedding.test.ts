// Sparse ID-embedding tables in a distributed job over a real nats-server: two table shards beside two
// parameter servers hold only the rows the step pulled, and match the embedded run's table after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { runDistributedTraining } from '../../../actors/distributed/distributed-job.js';
import { EmbeddingShardActor } from '../../../actors/parameter-server/embedding-shard-actor.js';
import { EmbeddingShardProtocol } from '../../../actors/parameter-server/embedding-protocol.js';
import { EMB_ROLE } from '../../../actors/parameter-server/embedding-tables.js';
import { SamplerActor } from '../../../actors/sampler/sampler-actor.js';
import { TrainerActor } from '../../../actors/trainer/trainer-actor.js';
import { ParameterServerActor } from '../../../actors/parameter-server/parameter-server-actor.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { ownerOf } from '../../../actors/parameter-server/id-shard.js';
import { ID_TABLE_PREFIX } from '../../../actors/parameter-server/id-table-spec.js';
import { snapshotFromTensors } from '../../../actors/parameter-server/sparse-table.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-dist-idemb-'));
let server: NatsServer;
const graphDir = join(tmp, 'market');

beforeAll(async () => {
  server = await startNatsServer({ maxPayloadBytes: 1024 * 1024 });
  await synthMarketplace({ members: 1000, seed: 3 }, graphDir);
});
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function specOf(name: string, over: Record<string, unknown> = {}): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name,
    graph: graphDir,
    task: 'link',
    out: join(tmp, name),
    'model.hidden': 8,
    'model.dropout': 0,
    'sampling.fanouts': '4,3',
    'sampling.batchSize': 64,
    'train.epochs': 1,
    'train.maxStepsPerEpoch': 1,
    'train.seed': 5,
    'eval.maxNodes': 64,
    'model.idEmbedding.enabled': true,
    'model.idEmbedding.lr': 0.1,
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
    'cluster.nats': server.url,
    ...over,
  });
}

/** Runs a job whose actors (table shards included) are hosted by one system on the test's server. */
async function runJob(spec: JobSpec, name: string, resume = false) {
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { servers: server.url },
    heartbeatMs: 500,
  });
  try {
    const cfg = { config: { spec, job: name }, placement: 'local' as const };
    for (let p = 0; p < spec.cluster.parameterServers; p++) {
      await system.spawn(ParameterServerActor, { job: name, role: 'ps', index: p }, cfg);
      await system.spawn(EmbeddingShardActor, { job: name, role: EMB_ROLE, index: p }, cfg);
    }
    for (let j = 0; j < spec.cluster.samplers; j++)
      await system.spawn(SamplerActor, { job: name, role: 'sampler', index: j }, cfg);
    for (let t = 0; t < spec.cluster.trainers; t++)
      await system.spawn(TrainerActor, { job: name, role: 'trainer', index: t }, cfg);
    const result = await runDistributedTraining(spec, {
      nats: { servers: server.url },
      job: name,
      resume,
    });
    const stats = await Promise.all(
      Array.from({ length: spec.cluster.parameterServers }, (_, p) =>
        system
          .client({ job: name, role: EMB_ROLE, index: p }, EmbeddingShardProtocol)
          .ask('stats', {}),
      ),
    );
    return { result, stats };
  } finally {
    await system.shutdown();
  }
}

describe('ID-embedding table shards over NATS', () => {
  it('pull only the rows a step needs and match the embedded table after one step', async () => {
    for (const optimizer of ['adagrad', 'lazy-adam'] as const) {
      const name = `idemb-${optimizer}`;
      const spec = specOf(name, { 'model.idEmbedding.optimizer': optimizer });
      const { result: r, stats } = await runJob(spec, name);
      expect(r.distributed.rounds).toBe(1);
      const dist = latestCheckpoint(join(tmp, name, 'checkpoints'))!;
      const table = snapshotFromTensors(ID_TABLE_PREFIX, dist.tensors, optimizer)!;

      // The same step embedded (one process, the table in the parameter-server thread).
      const embeddedOut = join(tmp, `${name}-embedded`);
      await runTraining({ ...spec, out: embeddedOut });
      const emb = latestCheckpoint(join(embeddedOut, 'checkpoints'))!;
      const want = snapshotFromTensors(ID_TABLE_PREFIX, emb.tensors, optimizer)!;

      // Only the step's seeds have rows, each on the one shard owning it, none from evaluation.
      const g = await openGraph(graphDir);
      expect(table.ids.length).toBeGreaterThan(64);
      expect(table.ids.length).toBeLessThan(g.numNodes / 4);
      expect(table.steps.every((s) => s === 1)).toBe(true);
      const owned = [0, 0];
      for (const id of table.ids) owned[ownerOf(id, 2)]++;
      expect(stats.map((s) => s.rows)).toEqual(owned);
      expect(owned.every((n) => n > 0)).toBe(true);
      // Rows sent for the step: exactly its seeds' (ids + rows), a fraction of the graph's nodes.
      const dim = 8;
      const rowBytes = (n: number) => n * (dim + 1) * 4;
      expect(stats.reduce((a, s) => a + s.pulledRows, 0)).toBe(table.ids.length);
      const sent = stats.reduce((a, s) => a + s.pulledBytes, 0);
      const evalRows = stats.reduce((a, s) => a + s.peekedRows, 0);
      expect(sent).toBe(rowBytes(table.ids.length) + rowBytes(evalRows));
      expect(stats.reduce((a, s) => a + s.pushedBytes, 0)).toBe(rowBytes(table.ids.length));

      // The distributed table equals the embedded one after the step.
      expect(Array.from(table.ids)).toEqual(Array.from(want.ids));
      let maxDiff = 0;
      let moved = 0;
      for (let i = 0; i < want.rows.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(table.rows[i] - want.rows[i]));
        moved = Math.max(moved, Math.abs(want.rows[i]));
      }
      expect(moved).toBeGreaterThan(0.05); // the step moved rows beyond their initial scale
      expect(maxDiff).toBeLessThan(1e-5);
      for (const [k, v] of emb.tensors) {
        if (k.startsWith(ID_TABLE_PREFIX) || k.includes('#')) continue;
        const d = dist.tensors.get(k)!;
        for (let i = 0; i < v.length; i++) expect(Math.abs(d[i] - v[i])).toBeLessThan(1e-5);
      }
    }
  }, 90_000);

  it('checkpoints the table shards as one table and resumes to the uninterrupted run', async () => {
    const over = {
      'model.idEmbedding.optimizer': 'lazy-adam',
      'cluster.trainers': 2,
      'train.epochs': 2,
      'train.maxStepsPerEpoch': 4,
    };
    const full = 'idemb-full';
    const uninterrupted = await runJob(specOf(full, over), full);
    const half = 'idemb-half';
    await runJob(specOf(half, { ...over, 'train.epochs': 1 }), half);
    const resumed = await runJob(specOf(half, over), half, true);
    const stats = resumed.stats;
    // The resumed run trained the second epoch only, starting from the checkpoint's table.
    expect(resumed.result.distributed.rounds).toBeLessThan(uninterrupted.result.distributed.rounds);
    const a = latestCheckpoint(join(tmp, full, 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, half, 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    const table = snapshotFromTensors(ID_TABLE_PREFIX, b.tensors, 'lazy-adam')!;
    // Rows of both epochs' steps; each shard reloaded with exactly the ones it owns.
    expect(table.steps.some((s) => s > 1)).toBe(true);
    const owned = [0, 0];
    for (const id of table.ids) owned[ownerOf(id, 2)]++;
    expect(stats.map((s) => s.rows)).toEqual(owned);
    for (const [name, t] of a.tensors) expect(b.tensors.get(name), name).toEqual(t);
  }, 120_000);
});
