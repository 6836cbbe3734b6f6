// Auth and TLS are configuration: real nats-servers requiring a token, user/password, an nkey, TLS and
// mutual TLS; the right config talks to actors (in this process and in a child), a wrong one is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem, type SpawnOptions } from '../../runtime/actor-system.js';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { natsConnectionOptions } from '../../runtime/nats-connect.js';
import {
  hasOpenssl,
  makeTlsFiles,
  startNatsServer,
  type NatsServer,
  type NatsServerOptions,
} from '../helpers/nats-server.js';
import type { EchoProtocol } from './fixtures/conformance-actors.js';

const echoSpec = {
  module: new URL('./fixtures/conformance-actors.ts', import.meta.url),
  export: 'EchoActor',
};
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function server(options: NatsServerOptions): Promise<NatsServer> {
  const s = await startNatsServer(options);
  cleanups.push(() => s.stop());
  return s;
}

/** Starts a system with `config`, spawns an echo actor and asks it something. */
async function roundTrip(config: NatsConfig, spawn: SpawnOptions = {}): Promise<unknown> {
  const system = await ActorSystem.start({ transport: 'nats', nats: config, logger: silentLogger });
  try {
    const echo = await system.spawn<typeof EchoProtocol>(
      echoSpec,
      { job: 'auth', role: 'echo', index: 0 },
      spawn,
    );
    return await echo.ask('add', { a: 40, b: 2 }, { timeoutMs: 30_000 });
  } finally {
    await system.shutdown();
  }
}

async function refused(config: NatsConfig): Promise<unknown> {
  return ActorSystem.start({
    transport: 'nats',
    nats: { ...config, maxReconnectAttempts: 0, connectTimeoutMs: 3000 },
    logger: silentLogger,
  }).then(
    async (system) => {
      await system.shutdown();
      return 'connected';
    },
    (e: unknown) => e,
  );
}

describe('NATS auth and TLS from configuration', () => {
  it('token', async () => {
    const s = await server({ auth: { token: 's3cret-token' } });
    expect(await roundTrip({ servers: s.url, token: 's3cret-token' })).toEqual({ sum: 42 });
    // The child process gets the same settings and authenticates too.
    expect(
      await roundTrip({ servers: s.url, token: 's3cret-token' }, { placement: 'process' }),
    ).toEqual({ sum: 42 });
    const error = await refused({ servers: s.url, token: 'wrong' });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/cannot connect to NATS/);
    expect(await refused({ servers: s.url })).toBeInstanceOf(ConfigError);
  }, 60_000);

  it('user and password', async () => {
    const s = await server({ auth: { user: 'trainer', password: 'p@ss word' } });
    expect(await roundTrip({ servers: s.url, user: 'trainer', password: 'p@ss word' })).toEqual({
      sum: 42,
    });
    expect(await refused({ servers: s.url, user: 'trainer', password: 'nope' })).toBeInstanceOf(
      ConfigError,
    );
  }, 60_000);

  it('nkey seed file', async () => {
    const user = createUser();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-nkey-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const seedFile = path.join(dir, 'user.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
    const s = await server({ auth: { nkeys: [user.getPublicKey()] } });
    expect(await roundTrip({ servers: s.url, nkeySeedFile: seedFile })).toEqual({ sum: 42 });
    const stranger = createUser();
    const otherFile = path.join(dir, 'other.nk');
    writeFileSync(otherFile, new TextDecoder().decode(stranger.getSeed()));
    expect(await refused({ servers: s.url, nkeySeedFile: otherFile })).toBeInstanceOf(ConfigError);
    const garbage = path.join(dir, 'garbage.nk');
    writeFileSync(garbage, 'not a seed\n');
    expect(() => natsConnectionOptions({ servers: s.url, nkeySeedFile: garbage })).toThrow(
      /no user nkey seed/,
    );
  }, 60_000);

  it.skipIf(!hasOpenssl())(
    'TLS with a private CA, and mutual TLS with client certificates',
    async () => {
      const tls = makeTlsFiles();
      cleanups.push(() => tls.remove());
      const s = await server({ tls: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile } });
      const url = s.url.replace('nats://', 'tls://');
      expect(await roundTrip({ servers: url, tls: { caFile: tls.caFile } })).toEqual({ sum: 42 });
      // Without the CA the server certificate is not trusted.
      expect(await refused({ servers: url, tls: {} })).toBeInstanceOf(ConfigError);

      const mutual = await server({
        tls: {
          certFile: tls.serverCertFile,
          keyFile: tls.serverKeyFile,
          caFile: tls.caFile,
          verify: true,
        },
      });
      const mutualUrl = mutual.url.replace('nats://', 'tls://');
      const withCert = {
        caFile: tls.caFile,
        certFile: tls.clientCertFile,
        keyFile: tls.clientKeyFile,
      };
      expect(await roundTrip({ servers: mutualUrl, tls: withCert })).toEqual({ sum: 42 });
      expect(
        await roundTrip({ servers: mutualUrl, tls: withCert }, { placement: 'process' }),
      ).toEqual({ sum: 42 });
      expect(await refused({ servers: mutualUrl, tls: { caFile: tls.caFile } })).toBeInstanceOf(
        ConfigError,
      );
    },
    90_000,
  );

  it('rejects contradictory settings before connecting, naming the field', () => {
    expect(() =>
      natsConnectionOptions({ servers: 'nats://127.0.0.1:1', token: 't', user: 'u' }),
    ).toThrow(/choose one/);
    expect(() => natsConnectionOptions({ servers: 'nats://127.0.0.1:1', password: 'p' })).toThrow(
      /password needs user/,
    );
    expect(() => natsConnectionOptions({ servers: [] } as unknown as NatsConfig)).toThrow(
      ConfigError,
    );
  });
});
