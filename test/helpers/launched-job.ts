// Test helper for jobs under `weft launch`: a temp folder with a synthetic graph, the small base spec the
// launched-job tests share (overrides on top), a clean run to the end, and killing a process at a version.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import type { JobStatus } from '../../actors/coordinator/job-status.js';
import type { DistributedResults } from '../../actors/distributed/distributed-job.js';
import { EmbeddingShardProtocol } from '../../actors/parameter-server/embedding-protocol.js';
import { EMB_ROLE } from '../../actors/parameter-server/embedding-tables.js';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import type { JobResults } from '../../actors/coordinator/run-results.js';
import { ParameterServerProtocol } from '../../actors/protocols.js';
import type { Role } from '../../actors/distributed/role-runner.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw, type PowerlawOptions } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';

/** The small graph most launched-job tests train on: 3000 nodes, 30000 edges, 16 features, 4 classes. */
export const SMALL_GRAPH = { nodes: 3000, edges: 30000, featureDim: 16, classes: 4 };

/** A temp folder (removed after the file) whose `g` subfolder gets a powerlaw graph before the tests. */
export function synthGraphFixture(
  prefix: string,
  graph: Partial<PowerlawOptions> & { seed: number },
) {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const graphDir = join(tmp, 'g');
  beforeAll(async () => {
    await synthPowerlaw({ ...SMALL_GRAPH, ...graph }, graphDir);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  return { tmp, graphDir };
}

/** A small launched job on `graphDir` writing to `out`, on a local nats-server; `overrides` win. */
export function launchedSpec(
  graphDir: string,
  out: string,
  overrides: Record<string, unknown>,
): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph: graphDir,
    out,
    'model.hidden': 16,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 32,
    'cluster.nats': 'local',
    ...overrides,
  });
}

/** The lines of a run's metrics.jsonl in folder `out`. */
export const metricsOf = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Resolves once `check` returns a value other than undefined; rejects with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process with this pid exists (false for undefined). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type ProbeOptions = { probe?: 'ps' | 'emb'; pollMs?: number };

/**
 * Polls shard 0 of `probe` (ps, or the id-embedding table) until it is loaded at `version` or later, then
 * runs `action` at once, before the probe closes (closing takes long enough for the job to move on).
 */
export async function atVersion<T>(
  job: LaunchedJob,
  version: number,
  action: () => T | Promise<T>,
  opts: ProbeOptions = {},
): Promise<T> {
  const probe = await ActorSystem.start({
    transport: 'nats',
    nats: job.natsConfigFor('coordinator'),
  });
  try {
    const at = { job: job.job, index: 0 };
    const emb = probe.client({ ...at, role: EMB_ROLE }, EmbeddingShardProtocol);
    const ps = probe.client({ ...at, role: 'ps' }, ParameterServerProtocol);
    const stats = () => (opts.probe === 'emb' ? emb.ask('stats', {}) : ps.ask('stats', {}));
    for (;;) {
      const s = await stats().catch(() => undefined);
      if (s && s.loaded && s.version >= version) return await action();
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 50));
    }
  } finally {
    await probe.shutdown();
  }
}

/** SIGKILLs `victim` once shard 0 reaches `version`; gives the kill time in seconds (the metrics clock). */
export const killAtVersion = (
  job: LaunchedJob,
  victim: { role: Role; index: number },
  version: number,
  opts: ProbeOptions = {},
): Promise<number> =>
  atVersion(
    job,
    version,
    () => {
      process.kill(job.pidOf(victim.role, victim.index)!, 'SIGKILL');
      return Date.now() / 1000;
    },
    opts,
  );

/** `killAtVersion` for parameter-server process `p`. */
export const killPsAtVersion = (
  job: LaunchedJob,
  p: number,
  version: number,
  opts: ProbeOptions = {},
) => killAtVersion(job, { role: 'ps', index: p }, version, opts);

/** Runs `during` (e.g. a kill), waits for a launched job to end, and always stops it (processes, nats-server). */
export async function finish(
  job: LaunchedJob,
  during?: () => Promise<unknown>,
): Promise<DistributedResults> {
  try {
    await during?.();
    return await job.wait();
  } finally {
    await job.stop();
  }
}

/** The coordinator's /status (undefined while it does not serve it yet). */
export async function statusOf(job: LaunchedJob): Promise<JobStatus | undefined> {
  const url = job.metricsUrlOf('coordinator', 0);
  if (url === undefined) return undefined;
  try {
    const res = await fetch(`${url}/status`);
    return res.ok ? ((await res.json()) as JobStatus) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The same job run in one process with two local steps per round, and launched with two trainers of
 * one step each (the same updates): the launched job on a local nats-server with two shards and one
 * sampler, writing to `<tmp>/run`; the single one to `<tmp>/single`.
 */
export async function singleAndLaunched(
  base: Record<string, unknown>,
  tmp: string,
  name: string,
): Promise<{ single: JobResults; launched: DistributedResults }> {
  const single = await runTraining(
    applyOverrides(defaultJobSpec(), { ...base, out: join(tmp, 'single'), 'train.localSteps': 2 }),
  );
  const job = await LaunchedJob.start(
    applyOverrides(defaultJobSpec(), {
      ...base,
      name,
      out: join(tmp, 'run'),
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': 'local',
    }),
  );
  return { single, launched: await finish(job) };
}

/**
 * The checkpoints singleAndLaunched's two runs ended with hold the same step and the same values
 * (within `tolerance`) for every tensor: what went astray between processes would change the updates.
 */
export function expectSameFinalTensors(tmp: string, tolerance = 1e-5): void {
  const a = latestCheckpoint(join(tmp, 'single', 'checkpoints'))!;
  const b = latestCheckpoint(join(tmp, 'run', 'checkpoints'))!;
  expect(b.step).toBe(a.step);
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    let d = 0;
    for (let i = 0; i < t.length; i++) d = Math.max(d, Math.abs(t[i] - u[i]));
    expect(d, name).toBeLessThan(tolerance);
  }
}
