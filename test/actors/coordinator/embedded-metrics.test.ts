// A job on one machine with runtime.metricsPort: the main thread serves every thread's metrics (the
// trainer's from its worker thread), the coordinator's /status and /healthz, with values that match
// what the job itself recorded in metrics.jsonl.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import type { JobStatus } from '../../../actors/coordinator/job-status.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import type { StepRecord } from '../../../actors/protocols.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-embedded-metrics-'));
const graph = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 1200, edges: 9000, featureDim: 8, classes: 3, seed: 11 }, graph);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function valueOf(samples: Sample[], name: string, role: string): number {
  const found = samples.filter((s) => s.name === name && s.labels.role === role);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}{role="${role}"}`);
  return found[0].value;
}

describe('metrics of an embedded job', () => {
  it('serves the trainer thread’s, sampler’s, ps’s and coordinator’s metrics and /status', async () => {
    const port = await freePort();
    const job = 'embedded-metrics';
    const spec = applyOverrides(defaultJobSpec(), {
      name: job,
      graph,
      out: join(tmp, 'run'),
      'model.hidden': 8,
      'sampling.fanouts': '4,4',
      'sampling.batchSize': 32,
      'train.epochs': 3,
      'train.maxStepsPerEpoch': 5,
      'train.checkpointEvery': 1,
      'runtime.metricsPort': port,
    });
    const url = `http://127.0.0.1:${port}`;
    let seen: { metrics: string; status: JobStatus; healthz: number; val: Record<string, number> };
    await runTraining(spec, {
      // After epoch 1 (its evaluation and checkpoint): the job waits for this look.
      onEpoch: async (e) => {
        if (e.epoch !== 1) return;
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const status = (await (await fetch(`${url}/status`)).json()) as JobStatus;
        const healthz = (await fetch(`${url}/healthz`)).status;
        seen = { metrics, status, healthz, val: e.val! };
      },
    });
    // The endpoint closed with the job.
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();

    const steps = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StepRecord & { type: string })
      .filter((r) => r.type === 'step' && r.epoch <= 1);
    expect(steps.length).toBe(10);
    const samples = parseExposition(seen!.metrics);
    for (const s of samples.filter((x) => x.name.startsWith('weft_')))
      expect(s.labels.weft_job).toBe(job);

    // Trainer (worker thread, merged by the hub): exactly what the job recorded.
    expect(valueOf(samples, 'weft_trainer_steps_total', 'trainer')).toBe(10);
    expect(valueOf(samples, 'weft_trainer_seeds_total', 'trainer')).toBe(
      steps.reduce((a, s) => a + s.seeds, 0),
    );
    expect(valueOf(samples, 'weft_trainer_step_duration_seconds_count', 'trainer')).toBe(10);
    expect(valueOf(samples, 'weft_trainer_compute_seconds_total', 'trainer')).toBeCloseTo(
      steps.reduce((a, s) => a + s.compute_s, 0),
      6,
    );
    expect(valueOf(samples, 'weft_trainer_loss', 'trainer')).toBeCloseTo(steps[9].loss, 6);
    expect(valueOf(samples, 'weft_trainer_epoch', 'trainer')).toBe(1);
    expect(valueOf(samples, 'weft_trainer_param_push_bytes_total', 'trainer')).toBeGreaterThan(0);
    const accuracy = samples.find(
      (s) =>
        s.name === 'weft_eval_result' &&
        s.labels.role === 'trainer' &&
        s.labels.split === 'val' &&
        s.labels.metric === 'accuracy',
    );
    expect(accuracy?.value).toBe(seen!.val.accuracy);
    // Parameter server (main thread): one push per sync the trainer made.
    const syncs = steps.reduce((a, s) => a + (s.syncs ?? 0), 0);
    expect(syncs).toBeGreaterThan(0);
    expect(valueOf(samples, 'weft_ps_push_requests_total', 'ps')).toBe(syncs);
    expect(valueOf(samples, 'weft_ps_parameter_version', 'ps')).toBe(syncs);
    expect(valueOf(samples, 'weft_ps_received_bytes_total', 'ps')).toBe(
      valueOf(samples, 'weft_trainer_param_push_bytes_total', 'trainer'),
    );
    // Sampler (main thread, fed by its pool): no more batches than planned so far.
    const batches = valueOf(samples, 'weft_sampler_batches_total', 'sampler');
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(10);
    expect(valueOf(samples, 'weft_sampler_sampled_edges_total', 'sampler')).toBeGreaterThan(0);
    // Coordinator: epoch, two checkpoints (after epochs 0 and 1).
    expect(valueOf(samples, 'weft_coordinator_epoch', 'coordinator')).toBe(1);
    expect(valueOf(samples, 'weft_checkpoints_total', 'coordinator')).toBe(2);
    expect(valueOf(samples, 'weft_checkpoint_last_success_epoch', 'coordinator')).toBe(1);
    expect(valueOf(samples, 'weft_coordinator_actors_healthy', 'coordinator')).toBe(3);
    expect(valueOf(samples, 'weft_coordinator_actors_expected', 'coordinator')).toBe(3);
    // Every actor's restart counter exists at 0 before any restart (increase() sees the first).
    const restarts = samples
      .filter((x) => x.name === 'weft_actor_restarts_total')
      .map((x) => `${x.labels.role}/${x.labels.index}=${x.value}`)
      .sort();
    expect(restarts).toEqual(['coordinator/0=0', 'ps/0=0', 'sampler/0=0', 'trainer/0=0']);
    // One series per actor that exists, so the dashboard's count of actors up is right.
    const up = samples.filter((x) => x.name === 'weft_actor_up').map((x) => x.labels.role);
    expect(up.sort()).toEqual(['coordinator', 'ps', 'sampler', 'trainer']);
    // The process's own metrics come from the main thread only.
    expect(samples.filter((s) => s.name === 'process_start_time_seconds')).toHaveLength(1);

    expect(seen!.healthz).toBe(200);
    const st = seen!.status;
    expect(st.job).toBe(job);
    expect(st.state).toBe('training');
    expect(st.epoch).toBe(1);
    expect(st.step).toBe(10);
    expect(st.epochs).toBe(3);
    expect(st.actors.map((a) => `${a.role}/${a.index}/${a.state}/${a.healthy}`)).toEqual([
      'ps/0/up/true',
      'sampler/0/up/true',
      'trainer/0/up/true',
    ]);
    expect(st.last_checkpoint?.epoch).toBe(1);
    expect(st.last_checkpoint?.step).toBe(10);
    expect(st.last_eval?.epoch).toBe(1);
    expect(st.last_eval?.val.accuracy).toBe(seen!.val.accuracy);
  });

  it('names runtime.metricsPort when its port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const spec = applyOverrides(defaultJobSpec(), {
        name: 'embedded-metrics-busy',
        graph,
        out: join(tmp, 'busy'),
        'model.hidden': 8,
        'train.epochs': 1,
        'runtime.metricsPort': port,
      });
      const err = await runTraining(spec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('runtime.metricsPort');
      expect((err as Error).message).toContain(String(port));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
