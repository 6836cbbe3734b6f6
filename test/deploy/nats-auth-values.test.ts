// The NATS Helm values `weft deploy render` writes for a job with credentials Secrets: merged into a
// nats.conf the way the chart does, a real nats-server takes them, reads each role's user and password
// from the environment the chart fills from the Secrets, and enforces the per-role permissions.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, parseJobSpec } from '../../actors/job-spec.js';
import { rolePrefixes, type JobRole } from '../../actors/distributed/nats-permissions.js';
import { natsAuthValues, natsEnvName } from '../../deploy/k8s/nats-values.js';
import { renderK8s } from '../../deploy/k8s/render.js';
import { ConfigError } from '../../runtime/errors.js';
import { natsConnectionOptions } from '../../runtime/nats-connect.js';
import { findNatsServer, freePort } from '../helpers/nats-server.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(import.meta.dirname, '../..');
const exampleFile = path.join(root, 'deploy/k8s/example/job.yaml');
const base = parse(readFileSync(path.join(root, 'deploy/nats/values.yaml'), 'utf8'));
const spec = applyOverrides(parseJobSpec(readFileSync(exampleFile, 'utf8'), exampleFile), {
  'cluster.kubernetes.credentialsSecret': 'cora-nats',
});
const JOB = spec.name;
const ROLES: JobRole[] = ['coordinator', 'ps', 'sampler', 'trainer'];
const password = (role: JobRole) => `pw-${role}-${'x'.repeat(24)}`;

/** config.merge as the chart renders it into nats.conf: JSON, with "<< x >>" written as x. */
function chartConf(merge: Any): string {
  return JSON.stringify(merge, null, 2).replace(/"<<\s*(.*?)\s*>>"/g, '$1');
}

describe('NATS values for a job with credentials Secrets', () => {
  it('reads every role’s user and password from that role’s Secret, as the pods do', () => {
    const values = natsAuthValues([spec]);
    const users = values.config.merge.authorization.users as Any[];
    expect(users).toHaveLength(4);
    const env = values.container.env as Any;
    const pods = renderK8s(spec).find((m) => m.file === 'jobset.yaml')!.object as Any;
    for (const [i, role] of ROLES.entries()) {
      const userVar = natsEnvName(JOB, role, 'USER');
      expect(users[i].user).toBe(`<< $${userVar} >>`);
      const pod = pods.spec.replicatedJobs[i].template.spec.template.spec;
      const secret = pod.containers[0].envFrom[0].secretRef.name;
      expect(env[userVar].valueFrom.secretKeyRef).toEqual({ name: secret, key: 'WEFT_NATS_USER' });
      expect(env[natsEnvName(JOB, role, 'PASSWORD')].valueFrom.secretKeyRef).toEqual({
        name: secret,
        key: 'WEFT_NATS_PASSWORD',
      });
    }
  });

  it('refuses a job without credentials Secrets, or the same job twice', () => {
    const open = applyOverrides(spec, { 'cluster.kubernetes.credentialsSecret': '' });
    expect(() => natsAuthValues([open])).toThrow(ConfigError);
    expect(() => natsAuthValues([spec, spec])).toThrow(/given twice/);
  });
});

describe('a nats-server configured from the values', () => {
  const server = findNatsServer();
  let proc: ChildProcess | undefined;
  let url = '';
  let tmp = '';
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    if (!server) return;
    tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-nats-auth-'));
    const port = await freePort();
    const httpPort = await freePort();
    const values = natsAuthValues([spec]);
    const merge = { ...base.config.merge, ...values.config.merge };
    const conf = path.join(tmp, 'nats.conf');
    writeFileSync(
      conf,
      `port: ${port}\nhttp_port: ${httpPort}\n${chartConf(merge).slice(1, -1)}\n`,
    );
    // The chart's container gets these from the Secrets (values.container.env).
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const role of ROLES) {
      env[natsEnvName(JOB, role, 'USER')] = `${JOB}-${role}`;
      env[natsEnvName(JOB, role, 'PASSWORD')] = password(role);
    }
    const check = spawnSync(server, ['-c', conf, '-t'], { encoding: 'utf8', env });
    expect(`${check.stdout}${check.stderr}`).toContain('is valid');
    proc = spawn(server, ['-c', conf], { stdio: 'ignore', env });
    url = `nats://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined);
      if (up?.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc!.once('exit', r));
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function as(role: JobRole, pass = password(role)): Promise<NatsConnection> {
    const nc = await connect(
      natsConnectionOptions({
        servers: url,
        ...rolePrefixes(JOB, role),
        user: `${JOB}-${role}`,
        password: pass,
        maxReconnectAttempts: 0,
      }),
    );
    open.push(nc);
    return nc;
  }

  it('admits each role with its Secret’s password and enforces its permissions', async (ctx) => {
    if (!server) {
      ctx.skip('nats-server not installed (Debian package nats-server)');
      return;
    }
    await expect(as('sampler', 'a guess')).rejects.toThrow();
    const ps = await as('ps');
    const trainer = await as('trainer');
    const sampler = await as('sampler');
    const got: string[] = [];
    let first!: () => void;
    const arrived = new Promise<void>((r) => (first = r));
    ps.subscribe(`weft.${JOB}.ps.0.push`, {
      callback: (_e, m) => {
        got.push(m.string());
        first();
      },
    });
    await ps.flush();
    // The sampler may not push gradients; the server drops its message before the trainer sends.
    sampler.publish(`weft.${JOB}.ps.0.push`, 'from sampler');
    await sampler.flush();
    trainer.publish(`weft.${JOB}.ps.0.push`, 'from trainer');
    await trainer.flush();
    await arrived;
    await ps.flush();
    expect(got).toEqual(['from trainer']);
  });
});
