// What Prometheus scrapes from an actor process that has done nothing yet: every counter its role
// declares, every label value included, already at 0 on /metrics, and from the coordinator every
// actor's restart counter at 0, so the first increment of any of them is an increase.
import { afterAll, describe, expect, it } from 'vitest';
import { JobObserver } from '../../../actors/coordinator/job-observer.js';
import { JobStatusBoard } from '../../../actors/coordinator/job-status.js';
import { actorMetrics } from '../../../actors/actor-metrics.js';
import { startRoleEndpoint, type RoleEndpoint } from '../../../actors/distributed/role-endpoint.js';
import { metricsOfRole, ROLES } from '../../../actors/metrics-catalogue.js';

type Sample = { name: string; labels: Record<string, string>; value: number };

function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const endpoints: RoleEndpoint[] = [];
afterAll(async () => {
  for (const e of endpoints) await e.close();
});

describe('a fresh actor’s /metrics', () => {
  it('has every declared counter of its role at 0, each label value included', async () => {
    for (const role of ROLES) {
      const job = `fresh-${role}`;
      const endpoint = await startRoleEndpoint({ role, index: 0, job, port: 'auto' });
      endpoints.push(endpoint);
      const text = await (await fetch(`${endpoint.server!.url}/metrics`)).text();
      const mine = parseExposition(text).filter((s) => s.labels.weft_job === job);
      for (const d of metricsOfRole(role).filter((x) => x.type === 'counter')) {
        const series = mine.filter((s) => s.name === d.name && s.labels.role === role);
        const combos = (d.labels ?? []).reduce((n, l) => n * l.values.length, 1);
        expect(series.length, `${d.name} of a fresh ${role}`).toBe(combos);
        for (const s of series) expect(s.value, `${d.name} of a fresh ${role}`).toBe(0);
        for (const l of d.labels ?? [])
          expect(new Set(series.map((s) => s.labels[l.name])), d.name).toEqual(new Set(l.values));
      }
    }
  });

  it('has, from the coordinator, every actor’s restart counter at 0 before any restart', async () => {
    const job = 'fresh-job';
    const endpoint = await startRoleEndpoint({ role: 'coordinator', index: 0, job, port: 'auto' });
    endpoints.push(endpoint);
    const actors = [
      { role: 'ps' as const, index: 0 },
      { role: 'sampler' as const, index: 0 },
      { role: 'trainer' as const, index: 0 },
      { role: 'trainer' as const, index: 1 },
    ];
    const board = new JobStatusBoard({ job, epochs: 1, actors });
    const observer = new JobObserver(board, actorMetrics('coordinator', { job, index: 0 }), {
      job,
      actors,
      checkpointEvery: 0,
      epoch: -1,
      step: 0,
    });
    const restarts = async () =>
      parseExposition(await (await fetch(`${endpoint.server!.url}/metrics`)).text())
        .filter((s) => s.name === 'weft_actor_restarts_total' && s.labels.weft_job === job)
        .map((s) => `${s.labels.role}/${s.labels.index}=${s.value}`)
        .sort();
    expect(await restarts()).toEqual([
      'coordinator/0=0',
      'ps/0=0',
      'sampler/0=0',
      'trainer/0=0',
      'trainer/1=0',
    ]);
    observer.actorEvent('trainer', 1, 'actor-restarted', 'pid 1 → 2', 2);
    expect(await restarts()).toContain('trainer/1=1');
    const expected = parseExposition(await (await fetch(`${endpoint.server!.url}/metrics`)).text())
      .filter((s) => s.name === 'weft_coordinator_actors_expected' && s.labels.weft_job === job)
      .map((s) => s.value);
    expect(expected).toEqual([4]);
  });
});
