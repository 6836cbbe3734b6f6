// A cluster job's credentials and TLS from its spec (cluster.auth, cluster.tls): paths relative to the
// spec, one set per role through '{role}', errors naming the field and file; a job launched onto a TLS
// nats-server with per-role users, every process authenticating from the spec's files alone; and a
// local job whose own server speaks TLS with a CA made for the run.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clusterNatsConfig,
  specAuth,
  specControlSecret,
} from '../../../actors/distributed/cluster-credentials.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import {
  jobUsers,
  makeJobCredentials,
  JOB_ROLES,
} from '../../../actors/distributed/nats-permissions.js';
import { applyOverrides, loadJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import { ConfigError } from '../../../runtime/errors.js';
import { connectNats } from '../../../runtime/nats-connect.js';
import { finish, launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';
import { hasOpenssl, makeTlsFiles, startNatsServer } from '../../helpers/nats-server.js';

const { tmp, graphDir } = synthGraphFixture('weft-cluster-creds-', { seed: 21 });
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function specFile(dir: string, cluster: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'job.yaml');
  writeFileSync(file, `name: sec\ncluster:\n${cluster}`);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no error');
}

describe('cluster.auth and cluster.tls in a job spec', () => {
  it('resolves paths against the spec’s folder and gives each role its own files', () => {
    const dir = join(tmp, 'spec-a');
    const file = specFile(
      dir,
      [
        '  auth:',
        "    user: 'sec-{role}'",
        "    passwordFile: 'secrets/{role}.pw'",
        '    controlSecretFile: secrets/control',
        '  tls:',
        '    caFile: ca.pem',
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'trainer.pw'), 'p4ss word\n');
    writeFileSync(join(dir, 'secrets', 'control'), 'the-secret\nignored\n');
    const spec = loadJobSpec(file);
    expect(spec.cluster.auth.passwordFile).toBe(join(dir, 'secrets', '{role}.pw'));
    expect(spec.cluster.tls.caFile).toBe(join(dir, 'ca.pem'));
    expect(specAuth(spec, 'trainer')).toEqual({ user: 'sec-trainer', password: 'p4ss word' });
    expect(specControlSecret(spec, 'ps')).toBe('the-secret');
    // Flags and variables win: their user replaces the spec's; the spec's CA stays.
    expect(clusterNatsConfig(spec, 'trainer', ['tls://h:1'], { token: 't' })).toEqual({
      servers: ['tls://h:1'],
      token: 't',
      tls: { caFile: join(dir, 'ca.pem') },
    });
    const missing = configError(() => specAuth(spec, 'ps'));
    expect(missing.field).toBe('cluster.auth.passwordFile');
    expect(missing.file).toBe(join(dir, 'secrets', 'ps.pw'));
    writeFileSync(join(dir, 'secrets', 'sampler.pw'), '\n');
    expect(configError(() => specAuth(spec, 'sampler')).message).toMatch(/empty/);
  });

  it('refuses contradictory settings, naming the field and its line', () => {
    const twoWays = configError(() =>
      parseJobSpec('cluster:\n  auth:\n    user: u\n    tokenFile: t\n', 'job.yaml'),
    );
    expect(twoWays.field).toBe('cluster.auth.tokenFile');
    expect(twoWays.file).toBe('job.yaml:4');
    const noUser = configError(() =>
      parseJobSpec('cluster:\n  auth:\n    passwordFile: p\n', 'job.yaml'),
    );
    expect(noUser.field).toBe('cluster.auth.passwordFile');
    const noKey = configError(() =>
      applyOverrides(parseJobSpec('{}'), { 'cluster.tls.certFile': 'c.pem' }),
    );
    expect(noKey.field).toBe('cluster.tls.keyFile');
    const generated = configError(() =>
      applyOverrides(parseJobSpec('{}'), {
        'cluster.nats': 'nats://h:4222',
        'cluster.tls.generate': true,
      }),
    );
    expect(generated.field).toBe('cluster.tls.generate');
  });

  it.skipIf(!hasOpenssl())(
    'launches a job onto a TLS server with per-role users, from the spec alone',
    async () => {
      const tls = makeTlsFiles();
      cleanups.push(() => tls.remove());
      const creds = makeJobCredentials('sec');
      const server = await startNatsServer({
        auth: { users: jobUsers('sec', creds) },
        tls: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile },
      });
      cleanups.push(() => server.stop());
      const url = server.url.replace('nats://', 'tls://');
      const dir = join(tmp, 'spec-tls');
      const file = specFile(
        dir,
        [
          `  nats: ${url}`,
          '  auth:',
          "    user: 'sec-{role}'",
          "    passwordFile: 'pw/{role}'",
          '  tls:',
          '    caFile: ca.pem',
          '',
        ].join('\n'),
      );
      copyFileSync(tls.caFile, join(dir, 'ca.pem'));
      mkdirSync(join(dir, 'pw'));
      for (const role of JOB_ROLES) writeFileSync(join(dir, 'pw', role), creds[role].password);
      const spec = applyOverrides(loadJobSpec(file), {
        graph: graphDir,
        out: join(tmp, 'run-tls'),
        'model.hidden': 16,
        'sampling.fanouts': '5,5',
        'sampling.batchSize': 32,
        'train.epochs': 1,
        'train.maxStepsPerEpoch': 4,
      });
      const job = await LaunchedJob.start(spec);
      const r = await finish(job, async () => {
        // A tool gets a role's settings from the same spec; without them the server refuses.
        const nc = await connectNats({
          ...job.natsConfigFor('coordinator'),
          maxReconnectAttempts: 0,
        });
        await nc.close();
        const stranger = { servers: url, tls: { caFile: tls.caFile }, maxReconnectAttempts: 0 };
        await expect(connectNats(stranger)).rejects.toBeInstanceOf(ConfigError);
      });
      expect(r.epochs).toBe(1);
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(r.distributed.batches_missing).toBe(0);
    },
    180_000,
  );

  it.skipIf(!hasOpenssl())(
    'runs a local job over TLS with a CA made for the run (cluster.tls.generate)',
    async () => {
      const spec = launchedSpec(graphDir, join(tmp, 'run-gen'), {
        name: 'gen',
        'train.epochs': 1,
        'train.maxStepsPerEpoch': 4,
        'cluster.tls.generate': true,
        // Settings for servers given by URL: the job's own server ignores them.
        'cluster.auth.user': 'someone',
        'cluster.tls.caFile': join(tmp, 'no-such-ca.pem'),
      });
      const job = await LaunchedJob.start(spec);
      expect(job.natsUrl).toMatch(/^tls:\/\//);
      const config = { ...job.natsConfigFor('coordinator'), maxReconnectAttempts: 0 };
      const caFile = config.tls!.caFile!;
      expect(existsSync(caFile)).toBe(true);
      const r = await finish(job, async () => {
        const nc = await connectNats(config);
        await nc.close();
        // Trusting only the usual CAs, or in plain text: the server's certificate is not accepted.
        const quick = { ...config, connectTimeoutMs: 3000 };
        await expect(connectNats({ ...quick, tls: {} })).rejects.toBeInstanceOf(ConfigError);
        const plain = {
          ...quick,
          servers: job.natsUrl.replace('tls://', 'nats://'),
          tls: undefined,
        };
        await expect(connectNats(plain)).rejects.toBeInstanceOf(ConfigError);
      });
      expect(r.epochs).toBe(1);
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      // The run's CA and keys go with the server.
      expect(existsSync(caFile)).toBe(false);
    },
    180_000,
  );
});
