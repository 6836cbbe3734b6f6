import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  registerRoleMetrics,
  type Role,
  type RoleMetrics,
} from '../../actors/metrics-catalogue.js';
import { targetEntries, type ScrapeTarget } from '../../actors/distributed/prometheus-targets.js';

// A real Prometheus scrapes processes that export the catalogue through the shipped config and
// rules: the file_sd entries the launcher writes, the labels (no honor_labels, nothing renamed to
// exported_*) and an alert rule all meet real data.
const root = path.resolve(import.meta.dirname, '../..');
const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function serveMetrics(registry: Registry): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

type Series = { metric: Record<string, string>; value: [number, string] };

async function query(port: number, promql: string): Promise<Series[]> {
  const res = await fetch(
    `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  if (!res.ok) return [];
  const body = (await res.json()) as { data?: { result?: Series[] } };
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

const servers: Server[] = [];
let prometheus: ChildProcess | undefined;
let tmp: string | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;

afterAll(async () => {
  if (ticker) clearInterval(ticker);
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Prometheus with deploy/prometheus', () => {
  it('scrapes every trainer’s step counter through the file_sd targets and evaluates the rules', async (ctx) => {
    if (!existsSync(PROMETHEUS)) {
      ctx.skip(
        'prometheus not installed (Debian package prometheus; scripts/test-all.sh installs it)',
      );
      return;
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-prometheus-'));
    const job = 'itest';
    const actors: { role: Role; index: number }[] = [
      { role: 'coordinator', index: 0 },
      { role: 'trainer', index: 0 },
      { role: 'trainer', index: 1 },
      { role: 'sampler', index: 0 },
    ];
    const scrape: ScrapeTarget[] = [];
    const trainers: RoleMetrics<'trainer'>[] = [];
    for (const a of actors) {
      const registry = new Registry();
      const m = registerRoleMetrics(registry, a.role, { job, index: a.index });
      if (a.role === 'trainer') trainers.push(m as RoleMetrics<'trainer'>);
      const { server, port } = await serveMetrics(registry);
      servers.push(server);
      scrape.push({ role: a.role, index: a.index, address: `127.0.0.1:${port}` });
    }
    // The shipped configuration, with intervals shortened so the test takes seconds.
    const config = parse(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    writeFileSync(path.join(tmp, 'prometheus.yml'), stringify(config));
    copyFileSync(path.join(root, 'deploy/prometheus/rules.yml'), path.join(tmp, 'rules.yml'));
    mkdirSync(path.join(tmp, 'targets'));
    writeFileSync(
      path.join(tmp, 'targets', `${job}.json`),
      JSON.stringify(targetEntries(job, scrape)),
    );

    const port = await freePort();
    let log = '';
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d) => (log += d));
    prometheus.stderr!.on('data', (d) => (log += d));

    // Trainers step at different rates; trainer 1's loss is NaN, which WeftLossNotFinite catches.
    ticker = setInterval(() => {
      trainers[0].weft_trainer_steps_total.inc(1);
      trainers[1].weft_trainer_steps_total.inc(2);
      trainers[0].weft_trainer_loss.set(0.5);
      trainers[1].weft_trainer_loss.set(NaN);
    }, 200);

    try {
      const first = await until('two trainers scraped', async () => {
        const r = await query(port, 'weft_trainer_steps_total');
        return r.length === 2 ? r : undefined;
      });
      for (const s of first) {
        // The process's weft_job/role/index arrive as they are; job stays the scrape job's name and
        // the target adds weft_actor. No label collided, so none was renamed to exported_*.
        expect(s.metric.weft_job).toBe(job);
        expect(s.metric.job).toBe('weft');
        expect(s.metric.role).toBe('trainer');
        expect(s.metric.weft_actor).toBe(`${job}/trainer/${s.metric.index}`);
        expect(Object.keys(s.metric).filter((k) => k.startsWith('exported_'))).toEqual([]);
      }
      const firstByIndex = new Map(first.map((s) => [s.metric.index, Number(s.value[1])]));
      expect([...firstByIndex.keys()].sort()).toEqual(['0', '1']);
      const later = await until('every trainer step counter increases', async () => {
        const r = await query(port, 'weft_trainer_steps_total');
        const increased = r.filter((s) => Number(s.value[1]) > firstByIndex.get(s.metric.index)!);
        return increased.length === 2 ? r : undefined;
      });
      expect(later).toHaveLength(2);

      const up = await until('four targets up', async () => {
        const r = await query(port, `up{weft_actor=~"${job}/.*"} == 1`);
        return r.length === 4 ? r : undefined;
      });
      expect(up.map((s) => s.metric.weft_actor).sort()).toEqual([
        `${job}/coordinator/0`,
        `${job}/sampler/0`,
        `${job}/trainer/0`,
        `${job}/trainer/1`,
      ]);

      const alert = await until('WeftLossNotFinite pending for trainer 1', async () => {
        const r = await query(port, 'ALERTS{alertname="WeftLossNotFinite"}');
        return r.length > 0 ? r : undefined;
      });
      expect(alert.map((s) => s.metric.index)).toEqual(['1']);
      expect(alert[0].metric.weft_job).toBe(job);
      expect(alert[0].metric.severity).toBe('critical');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus log:\n${log.slice(-3000)}`, {
        cause: err,
      });
    }
  });
});
