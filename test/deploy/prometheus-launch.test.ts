// A real Prometheus, configured from deploy/prometheus/prometheus.yml, scrapes a job started with
// `weft launch` (coordinator, ps, sampler and two trainers as processes): the targets file appears
// only once every process has bound the port the system gave it, every trainer's step counter rises
// between two samples, the other roles export theirs, the coordinator answers /status, and a trainer
// killed with SIGKILL shows as a restart counter going from 0 to 1 (increase() >= 1).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob, targetsFileName } from '../../actors/distributed/launcher.js';
import type { FileSdEntry } from '../../actors/distributed/prometheus-targets.js';
import type { JobStatus } from '../../actors/coordinator/job-status.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw } from '../../graph-store/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const PROMETHEUS = '/usr/bin/prometheus';
const SKIP =
  'prometheus not installed (Debian package prometheus; scripts/test-all.sh installs it)';
const JOB = 'prom-launch';

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
    // coordinator, ps 0, sampler 0, trainers 0 and 1: five processes, each on a port of its own.
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
      // Any port turns metrics on: under weft launch each process binds a free one and reports it.
      'runtime.metricsPort': 1,
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
    const targetsFile = path.join(targetsDir, targetsFileName(JOB, spec.out));
    expect(job.targetsFile).toBe(targetsFile);
    // No process has bound its port yet, so there is nothing Prometheus could scrape by mistake.
    expect(existsSync(targetsFile)).toBe(false);
    await job.metricsReady();
    const actors = ['coordinator/0', 'ps/0', 'sampler/0', 'trainer/0', 'trainer/1'] as const;
    const urlOf = (a: string) =>
      job!.metricsUrlOf(a.split('/')[0] as 'ps', Number(a.split('/')[1]));
    const readTargets = () => JSON.parse(readFileSync(targetsFile, 'utf8')) as FileSdEntry[];
    const targets = readTargets();
    // Each process's own report: the address it bound, listed under its weft_actor.
    expect(targets.map((t) => `${t.labels.weft_actor}@${t.targets[0]}`)).toEqual(
      actors.map((a) => `${JOB}/${a}@${new URL(urlOf(a)!).host}`),
    );
    expect(new Set(targets.map((t) => t.targets[0])).size).toBe(5);
    const pids = actors.map((a) => job!.pidOf(a.split('/')[0] as 'ps', Number(a.split('/')[1]))!);
    const status = urlOf('coordinator/0')!;

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

      // Fanouts come from the sampler alone (the coordinator no longer repeats them): one series
      // per hop of the model.
      const fanouts = await until('the sampler’s fanouts scraped', async () => {
        const r = await query(promPort, `weft_sampler_fanout{weft_job="${JOB}"}`);
        return r.length > 0 ? r : undefined;
      });
      expect(
        fanouts.map((f) => `${f.metric.weft_actor} hop ${f.metric.hop}=${f.value[1]}`).sort(),
      ).toEqual([`${JOB}/sampler/0 hop 0=4`, `${JOB}/sampler/0 hop 1=4`]);

      // The dashboard's "Actors up" stat, as Grafana would ask it: five of five.
      const dashboard = JSON.parse(
        readFileSync(path.join(root, 'deploy/grafana/weft.json'), 'utf8'),
      ) as { panels: { title: string; targets?: { expr: string }[] }[] };
      const stat = dashboard.panels.find((p) => p.title === 'Actors up')!.targets!;
      const statValue = async (expr: string) => {
        const r = await query(promPort, expr.replaceAll('$job', JOB));
        return r.length === 1 ? Number(r[0].value[1]) : undefined;
      };
      await until('Actors up reading 5 of 5', async () =>
        (await statValue(stat[0].expr)) === 5 && (await statValue(stat[1].expr)) === 5
          ? true
          : undefined,
      );

      // Every actor's restart counter is scraped at 0 before anything restarts.
      const restarts = `weft_actor_restarts_total{weft_job="${JOB}",role="trainer",index="1"}`;
      const zero = await until('trainer 1’s restart counter scraped at 0', async () => {
        const r = await query(promPort, restarts);
        return r.length === 1 ? r : undefined;
      });
      expect(Number(zero[0].value[1])).toBe(0);
      expect(zero[0].metric.weft_actor).toBe(`${JOB}/coordinator/0`);
      const all = await query(promPort, `weft_actor_restarts_total{weft_job="${JOB}"}`);
      expect(all.map((r) => `${r.metric.role}/${r.metric.index}=${r.value[1]}`).sort()).toEqual(
        actors.map((a) => `${a}=0`),
      );

      // The coordinator's /status and /healthz, next to its /metrics.
      expect((await fetch(`${status}/healthz`)).status).toBe(200);
      // checkpointEvery 2 saves after epochs 1, 3, ...; a new best validation saves too, at any
      // epoch (epoch 0's always), so wait for a scheduled one.
      const s = await until('a scheduled checkpoint in /status', async () => {
        const body = (await (await fetch(`${status}/status`)).json()) as JobStatus;
        return body.last_checkpoint !== null && body.last_checkpoint.epoch % 2 === 1
          ? body
          : undefined;
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
      expect(s.last_checkpoint!.epoch % 2).toBe(1);
      expect(existsSync(s.last_checkpoint!.path)).toBe(true);
      expect(s.last_eval?.val.accuracy).toBeGreaterThanOrEqual(0);

      // SIGKILL trainer 1: the launcher restarts it, the coordinator counts it, Prometheus sees
      // the counter go from 0 to 1, and the targets file follows the new process's port.
      const oldAddress = new URL(urlOf('trainer/1')!).host;
      process.kill(job.pidOf('trainer', 1)!, 'SIGKILL');
      const rose = await until(
        'increase of trainer 1’s restarts',
        async () => {
          const r = await query(promPort, `increase(${restarts}[2m]) >= 1`);
          return r.length === 1 ? r : undefined;
        },
        60_000,
      );
      expect(Number(rose[0].value[1])).toBeGreaterThanOrEqual(1);
      const one = await query(promPort, restarts);
      expect(Number(one[0].value[1])).toBe(1);
      const moved = await until('the targets file listing the new trainer 1', async () => {
        const url = urlOf('trainer/1');
        const t = readTargets().find((e) => e.labels.weft_actor === `${JOB}/trainer/1`);
        return url && t && t.targets[0] === new URL(url).host ? t : undefined;
      });
      expect(moved.targets[0]).toBe(new URL(urlOf('trainer/1')!).host);
      if (moved.targets[0] !== oldAddress)
        await until('the restarted trainer 1 scraped', async () => {
          const r = await query(promPort, `up{weft_actor="${JOB}/trainer/1"} == 1`);
          return r.length === 1 && r[0].metric.instance === moved.targets[0] ? r : undefined;
        });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus log:\n${log.slice(-2000)}`, {
        cause: err,
      });
    } finally {
      await job.stop();
    }
    // Nothing outlives the job: every process is gone and Prometheus loses the targets file.
    for (const pid of [...pids, job.pidOf('trainer', 1)])
      if (pid !== undefined) expect(alive(pid)).toBe(false);
    expect(existsSync(targetsFile)).toBe(false);
  }, 150_000);
});
