// A real Prometheus, configured from deploy/prometheus/prometheus.yml, scrapes a job started with
// `weft launch` (coordinator, ps, sampler and two trainers as processes): every trainer's step counter
// rises between two samples, the other roles export theirs, and the coordinator answers /status.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import type { FileSdEntry } from '../../actors/distributed/prometheus-targets.js';
import type { JobStatus } from '../../actors/coordinator/job-status.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw } from '../../graph-store/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const PROMETHEUS = '/usr/bin/prometheus';
const SKIP =
  'prometheus not installed (Debian package prometheus; scripts/test-all.sh installs it)';
const JOB = 'prom-launch';

async function portFree(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A base port with `count` free ports from it (the launcher gives process k the port base + k). */
async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let k = 0; k < count && ok; k++) ok = await portFree(base + k);
    if (ok) return base;
  }
  throw new Error(`no run of ${count} free ports found`);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

type Series = { metric: Record<string, string>; value: [number, string] };

async function query(port: number, promql: string): Promise<Series[]> {
  const res = await fetch(
    `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  if (!res.ok) throw new Error(`query ${promql}: HTTP ${res.status}`);
  const body = (await res.json()) as { status: string; data?: { result?: Series[] } };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.status}`);
  return body.data?.result ?? [];
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await fn().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let tmp = '';
let prometheus: ChildProcess | undefined;
let job: LaunchedJob | undefined;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-prom-launch-'));
  await synthPowerlaw(
    { nodes: 1500, edges: 12_000, featureDim: 8, classes: 4, seed: 5 },
    path.join(tmp, 'g'),
  );
});

afterAll(async () => {
  await job?.stop();
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('Prometheus scraping a launched job', () => {
  it('sees every trainer’s step counter rise, and the coordinator serves /status', async (ctx) => {
    if (!existsSync(PROMETHEUS)) return ctx.skip(SKIP);
    // coordinator, ps 0, sampler 0, trainers 0 and 1: five processes, five ports from the base.
    const base = await freePortRun(5);
    const spec = applyOverrides(defaultJobSpec(), {
      name: JOB,
      graph: path.join(tmp, 'g'),
      out: path.join(tmp, 'run'),
      'model.hidden': 8,
      'sampling.fanouts': '4,4',
      'sampling.batchSize': 32,
      // Long enough to outlast the test; the test stops it once it has seen what it needs.
      'train.epochs': 500,
      'train.maxStepsPerEpoch': 8,
      'train.checkpointEvery': 2,
      'cluster.trainers': 2,
      'cluster.parameterServers': 1,
      'cluster.samplers': 1,
      'cluster.nats': 'local',
      'runtime.metricsPort': base,
    });

    // The shipped configuration, reading this test's targets folder and scraping every second.
    const config = parse(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    const weft = config.scrape_configs.find((c: { job_name: string }) => c.job_name === 'weft');
    expect(weft.file_sd_configs[0].files).toEqual(['targets/*.json']);
    weft.file_sd_configs[0].refresh_interval = '1s';
    writeFileSync(path.join(tmp, 'prometheus.yml'), stringify(config));
    copyFileSync(path.join(root, 'deploy/prometheus/rules.yml'), path.join(tmp, 'rules.yml'));
    const targetsDir = path.join(tmp, 'targets');
    mkdirSync(targetsDir);

    const promPort = await freePort();
    let log = '';
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d) => (log += d));
    prometheus.stderr!.on('data', (d) => (log += d));

    job = await LaunchedJob.start(spec, { targetsDir });
    const targetsFile = path.join(targetsDir, `${JOB}.json`);
    expect(job.targetsFile).toBe(targetsFile);
    const targets = JSON.parse(readFileSync(targetsFile, 'utf8')) as FileSdEntry[];
    expect(targets.map((t) => `${t.labels.weft_actor}@${t.targets[0]}`)).toEqual([
      `${JOB}/coordinator/0@127.0.0.1:${base}`,
      `${JOB}/ps/0@127.0.0.1:${base + 1}`,
      `${JOB}/sampler/0@127.0.0.1:${base + 2}`,
      `${JOB}/trainer/0@127.0.0.1:${base + 3}`,
      `${JOB}/trainer/1@127.0.0.1:${base + 4}`,
    ]);
    const actorOf = (t: FileSdEntry) => t.labels.weft_actor.split('/');
    const pids = targets.map((t) => job!.pidOf(actorOf(t)[1] as 'ps', Number(actorOf(t)[2]))!);
    const status = `http://127.0.0.1:${base}`;

    try {
      const steps = `weft_trainer_steps_total{weft_job="${JOB}"}`;
      const first = await until('both trainers stepping, as scraped', async () => {
        const r = await query(promPort, steps);
        return r.length === 2 && r.every((s) => Number(s.value[1]) > 0) ? r : undefined;
      });
      for (const s of first) {
        expect(s.metric.role).toBe('trainer');
        expect(s.metric.weft_job).toBe(JOB);
      }
      const before = new Map(first.map((s) => [s.metric.index, Number(s.value[1])]));
      expect([...before.keys()].sort()).toEqual(['0', '1']);
      const later = await until('every trainer’s step counter increases', async () => {
        const r = await query(promPort, steps);
        const rose = r.filter((s) => Number(s.value[1]) > before.get(s.metric.index)!);
        return rose.length === 2 ? r : undefined;
      });
      expect(later.map((s) => s.metric.index).sort()).toEqual(['0', '1']);

      // Every process answers its scrape; each role exports its own metrics with its labels.
      const up = await until('five targets up', async () => {
        const r = await query(promPort, `up{weft_actor=~"${JOB}/.*"} == 1`);
        return r.length === 5 ? r : undefined;
      });
      expect(up.map((s) => s.metric.weft_actor).sort()).toEqual([
        `${JOB}/coordinator/0`,
        `${JOB}/ps/0`,
        `${JOB}/sampler/0`,
        `${JOB}/trainer/0`,
        `${JOB}/trainer/1`,
      ]);
      const positive = async (promql: string, n: number) =>
        until(promql, async () => {
          const r = await query(promPort, `${promql} > 0`);
          return r.length === n ? r : undefined;
        });
      await positive(`weft_ps_push_requests_total{weft_job="${JOB}"}`, 1);
      await positive(`weft_sampler_sampled_edges_total{weft_job="${JOB}"}`, 1);
      await positive(`weft_trainer_param_push_bytes_total{weft_job="${JOB}"}`, 2);
      await positive(
        `weft_eval_result{weft_job="${JOB}",role="coordinator",split="val",metric="accuracy"}`,
        1,
      );
      const healthy = await until('the coordinator counting 4 healthy actors', async () => {
        const r = await query(promPort, `weft_coordinator_actors_healthy{weft_job="${JOB}"}`);
        return r.length === 1 && Number(r[0].value[1]) === 4 ? r : undefined;
      });
      expect(healthy[0].metric.role).toBe('coordinator');

      // The coordinator's /status and /healthz, next to its /metrics.
      expect((await fetch(`${status}/healthz`)).status).toBe(200);
      const s = await until('a checkpoint in /status', async () => {
        const body = (await (await fetch(`${status}/status`)).json()) as JobStatus;
        return body.last_checkpoint !== null ? body : undefined;
      });
      expect(s.job).toBe(JOB);
      expect(['training', 'evaluating', 'checkpointing']).toContain(s.state);
      expect(s.epochs).toBe(500);
      expect(s.epoch).toBeGreaterThanOrEqual(1);
      expect(s.step).toBeGreaterThanOrEqual(8);
      expect(s.actors_expected).toBe(4);
      expect(s.actors.map((a) => `${a.role}/${a.index}`)).toEqual([
        'ps/0',
        'sampler/0',
        'trainer/0',
        'trainer/1',
      ]);
      for (const a of s.actors) {
        expect(a.state).toBe('up');
        expect(a.healthy).toBe(true);
        expect(a.pid).toBe(job.pidOf(a.role as 'ps', a.index));
        expect(a.heartbeat_age_s).toBeLessThan(5);
      }
      expect(s.last_checkpoint!.epoch % 2).toBe(1); // checkpointEvery 2: after epochs 1, 3, ...
      expect(existsSync(s.last_checkpoint!.path)).toBe(true);
      expect(s.last_eval?.val.accuracy).toBeGreaterThanOrEqual(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus log:\n${log.slice(-2000)}`, {
        cause: err,
      });
    } finally {
      await job.stop();
    }
    // Nothing outlives the job: every process is gone and Prometheus loses the targets file.
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(targetsFile)).toBe(false);
  }, 90_000);
});
