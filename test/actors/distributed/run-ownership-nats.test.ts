// One owner per job over NATS (real nats-server, real processes): a second launch of a job name on the
// same server is refused before any of its processes joins, the first finishing untouched; a failed
// start leaves the previous run byte for byte; a coordinator SIGKILLed and started again with the same
// arguments (a Kubernetes restart: no --resume) resumes to an unfailed run's parameters.
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import type { JobSpec } from '../../../actors/job-spec.js';
import { ParameterServerProtocol } from '../../../actors/protocols.js';
import { ActorSystem } from '../../../runtime/actor-system.js';
import { launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { until, weft, type WeftProcess } from '../../helpers/weft-process.js';

const { tmp, graphDir } = synthGraphFixture('weft-run-owner-nats-', { seed: 3 });
let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer({ maxPayloadBytes: 8 * 1024 * 1024 });
});
afterAll(async () => server?.stop());

const STEPS = 24;
/** Synchronous rounds per epoch: STEPS batches over 2 trainers. */
const ROUNDS = STEPS / 2;

/**
 * Runs `action` as soon as shard 0 of job "restart" on the shared server is loaded at `version` or
 * later (before the probe closes, which takes long enough for the job to move on).
 */
async function atPsVersion(version: number, action: () => void): Promise<void> {
  const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: server.url } });
  try {
    const ps = probe.client({ job: 'restart', role: 'ps', index: 0 }, ParameterServerProtocol);
    for (;;) {
      const s = await ps.ask('stats', {}).catch(() => undefined);
      if (s && s.loaded && s.version >= version) return action();
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await probe.shutdown();
  }
}

/** The small job on the shared server (`nats`) or a local one, with 2 trainers. */
const specOf = (name: string, out: string, over: Record<string, unknown> = {}): JobSpec =>
  launchedSpec(graphDir, join(tmp, out), {
    name,
    'cluster.nats': server.url,
    'cluster.trainers': 2,
    'train.maxStepsPerEpoch': STEPS,
    ...over,
  });

/** Every file of a run's metrics.jsonl and checkpoints/ (relative path → bytes). */
function runFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['metrics.jsonl', readFileSync(join(dir, 'metrics.jsonl'))],
  ]);
  for (const e of readdirSync(join(dir, 'checkpoints'), { recursive: true, withFileTypes: true }))
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      files.set(path.slice(dir.length), readFileSync(path));
    }
  return files;
}

describe('job ownership over NATS', () => {
  it('a second launch of the same job name on one server is refused; the first finishes untouched', async () => {
    const first = await LaunchedJob.start(specOf('twin', 'first', { 'train.epochs': 5 }));
    try {
      const refused = await LaunchedJob.start(
        specOf('twin', 'second', { 'train.epochs': 5 }),
      ).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/job "twin" already has a live coordinator/);
      expect((refused as Error).message).toContain(join(tmp, 'first'));
      // None of the second launch's other processes ever started.
      expect(readdirSync(join(tmp, 'second', 'logs'))).toEqual(['coordinator-0.log']);
      const r = await first.wait();
      expect(r.epochs).toBe(5);
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(r.distributed.batches_repeated).toBe(0);
      expect(r.distributed.actor_restarts).toBe(0);
    } finally {
      await first.stop();
    }
  }, 300_000);

  it("a launch that fails to start leaves the previous run's metrics and checkpoints byte-identical", async () => {
    const out = join(tmp, 'first');
    const before = runFiles(out);
    const launchSpec = readFileSync(join(out, 'launch', 'job-spec.json'));
    // Another job (another width) into the same run directory: refused before anything is written.
    await expect(
      LaunchedJob.start(specOf('twin', 'first', { 'model.hidden': 32 })),
    ).rejects.toThrow(/holds the checkpoints of job "twin".*differing in model\.hidden/);
    expect(runFiles(out)).toEqual(before);
    expect(readFileSync(join(out, 'launch', 'job-spec.json'))).toEqual(launchSpec);
    const bad = join(tmp, 'bad-graph');
    cpSync(graphDir, bad, { recursive: true });
    truncateSync(join(bad, 'features.f32'), 100);
    // --fresh would move the checkpoints aside and empty metrics.jsonl, but only once every actor answers.
    const job = await LaunchedJob.start(
      { ...specOf('twin', 'first', { 'timeouts.startMs': 6000 }), graph: bad },
      { fresh: true, maxRestarts: 1 },
    );
    try {
      await expect(job.wait()).rejects.toThrow(/exited with code/);
    } finally {
      await job.stop();
    }
    expect(runFiles(out)).toEqual(before);
  }, 300_000);

  it('a coordinator SIGKILLed and started again with the same arguments resumes bit-identically', async () => {
    const over = { 'train.epochs': 4, 'train.seed': 5 };
    const clean = await LaunchedJob.start(
      specOf('restart-clean', 'restart-clean', { ...over, 'cluster.nats': 'local' }),
    );
    try {
      await clean.wait();
    } finally {
      await clean.stop();
    }

    const spec = specOf('restart', 'restart', over);
    const specFile = join(tmp, 'restart.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const actor = (role: string, index = 0): WeftProcess =>
      weft([
        'actor',
        '--role',
        role,
        '--index',
        String(index),
        '--nats',
        server.url,
        '--spec',
        specFile,
      ]);
    const workers = [actor('ps'), actor('sampler'), actor('trainer', 0), actor('trainer', 1)];
    const ckpts = join(spec.out, 'checkpoints');
    const savedEpoch = () => {
      try {
        return Number(latestCheckpoint(ckpts)?.meta.epoch ?? -1);
      } catch {
        return -1; // being written or rotated: asked again
      }
    };
    const first = actor('coordinator');
    await until(
      'the checkpoint of epoch 1',
      () => savedEpoch() >= 1 || first.proc.exitCode !== null,
    );
    expect(first.proc.exitCode, first.output()).toBeNull();
    // Killed mid-epoch 2 (12 rounds an epoch): the trainers go on with it, or finish it, untold.
    await atPsVersion(2 * ROUNDS + 3, () => first.proc.kill('SIGKILL'));
    await first.exited;
    // What the Kubernetes Job does after the kill: the same command again.
    const again = await actor('coordinator').exited;
    expect(again.code, again.output).toBe(0);
    for (const w of workers) expect((await w.exited).code).toBe(0);

    const a = latestCheckpoint(join(tmp, 'restart-clean', 'checkpoints'))!;
    const b = latestCheckpoint(ckpts)!;
    expect(b.step).toBe(a.step);
    for (const [name, t] of a.tensors) expect(b.tensors.get(name), name).toEqual(t);
    const events = readFileSync(join(spec.out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; detail?: string });
    expect(events.some((e) => e.kind === 'restore')).toBe(true);
    // The trainers had run epochs for the killed coordinator: they were moved to a newer attempt.
    expect(events.some((e) => e.kind === 'takeover')).toBe(true);
    const results = JSON.parse(readFileSync(join(spec.out, 'results.json'), 'utf8'));
    expect(results.distributed.batches_applied).toBe(results.distributed.batches_planned);
    expect(existsSync(join(spec.out, 'run.lock'))).toBe(false);
  }, 300_000);
});
