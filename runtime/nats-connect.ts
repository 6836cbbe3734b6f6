// NATS connection settings as configuration (servers, token, user/password, nkey seed file, TLS files) and
// the one function that turns them into a live connection that reconnects for as long as it is open.
import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { ConfigError } from './errors.js';
import { s, type Infer, type SchemaIssue } from './schema.js';
import { readConfigText } from './config-file.js';

/** The schema of the `nats` section of a config; `NatsConfig` is its type. */
export const natsConfigSchema = s.object({
  /** 'nats://host:port' or 'host:port', one or several. */
  servers: s.union(
    s.string({ minLength: 1 }),
    s.array(s.string({ minLength: 1 }), { minLength: 1 }),
  ),
  /**
   * Try `servers` in a random order (true) or in the given order (default): list this host's server
   * of a NATS cluster first, the others after it for failover.
   */
  randomize: s.optional(s.boolean()),
  /** Client name shown by the server's monitoring. */
  name: s.optional(s.string()),
  token: s.optional(s.string({ minLength: 1 })),
  user: s.optional(s.string({ minLength: 1 })),
  password: s.optional(s.string()),
  /** File holding the user's nkey seed (a line starting with 'SU'). */
  nkeySeedFile: s.optional(s.string({ minLength: 1 })),
  /** A `.creds` file: the user's JWT and nkey seed (servers run in operator/JWT mode). */
  credsFile: s.optional(s.string({ minLength: 1 })),
  tls: s.optional(
    s.object({
      caFile: s.optional(s.string({ minLength: 1 })),
      certFile: s.optional(s.string({ minLength: 1 })),
      keyFile: s.optional(s.string({ minLength: 1 })),
    }),
  ),
  /**
   * Reply subjects of this connection's requests start with this (default `_INBOX`). A server that
   * gives each user its own prefix (subscribe permission `<prefix>.>`) keeps replies private.
   */
  inboxPrefix: s.optional(s.string({ minLength: 1 })),
  /** Subject prefix of the large payloads this connection offers for pulling (default `weft._blob`). */
  blobPrefix: s.optional(s.string({ minLength: 1 })),
  /**
   * Largest payload this connection takes in chunks (the size a sender declares, checked before
   * anything is pulled; default 256 MiB). A larger one is refused unread.
   */
  maxInboundBytes: s.optional(s.int({ min: 1 })),
  /** Wait between reconnect attempts (default 250 ms). */
  reconnectTimeWaitMs: s.optional(s.number({ min: 1 })),
  /** Give up after this many failed reconnects per server (default -1: never). */
  maxReconnectAttempts: s.optional(s.int({ min: -1 })),
  /** Handshake timeout of each connect (default 10 s). */
  connectTimeoutMs: s.optional(s.number({ min: 1 })),
  /** Client pings this often to notice a dead server (default 10 s). */
  pingIntervalMs: s.optional(s.number({ min: 100 })),
});

export type NatsConfig = Infer<typeof natsConfigSchema>;

function readSeed(file: string): Uint8Array {
  const text = readConfigText(file, 'nkey seed', 'nkeySeedFile');
  // A seed file may be a bare seed or a creds-style file; take the first line that looks like a user seed.
  const seed = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /^SU[A-Z2-7]{56}$/.test(line));
  if (!seed)
    throw new ConfigError('no user nkey seed (a line starting with SU) found', {
      file,
      field: 'nkeySeedFile',
    });
  return new TextEncoder().encode(seed);
}

/** Client options for `connect` from a checked config. Auth and TLS are only configuration. */
export function natsConnectionOptions(config: NatsConfig, where = 'nats'): NodeConnectionOptions {
  const issues: SchemaIssue[] = [];
  natsConfigSchema.check(config, where, issues);
  if (issues.length > 0) throw new ConfigError(issues[0].message, { field: issues[0].path });
  const auths = [config.token, config.user, config.nkeySeedFile, config.credsFile].filter(
    (v) => v !== undefined,
  ).length;
  if (auths > 1) {
    throw new ConfigError('choose one of token, user/password, nkeySeedFile and credsFile', {
      field: where,
    });
  }
  if (config.password !== undefined && config.user === undefined) {
    throw new ConfigError('password needs user', { field: `${where}.user` });
  }
  const options: NodeConnectionOptions = {
    servers: config.servers,
    noRandomize: !(config.randomize ?? false),
    name: config.name,
    maxReconnectAttempts: config.maxReconnectAttempts ?? -1,
    reconnectTimeWait: config.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 50,
    reconnectJitterTLS: 100,
    timeout: config.connectTimeoutMs ?? 10_000,
    pingInterval: config.pingIntervalMs ?? 10_000,
    maxPingOut: 3,
    // Stack capture on every request costs more than the request on loopback; errors carry subjects anyway.
    noAsyncTraces: true,
  };
  if (config.inboxPrefix !== undefined) options.inboxPrefix = config.inboxPrefix;
  if (config.token !== undefined) options.token = config.token;
  if (config.user !== undefined) {
    options.user = config.user;
    options.pass = config.password ?? '';
  }
  if (config.nkeySeedFile !== undefined) {
    const seed = readSeed(config.nkeySeedFile);
    options.authenticator = nkeyAuthenticator(seed);
  }
  if (config.credsFile !== undefined) {
    const file = config.credsFile;
    let creds: Uint8Array;
    try {
      creds = readFileSync(file);
    } catch (error) {
      throw new ConfigError(
        `cannot read NATS credentials: ${(error as Error).message}`,
        { file, field: 'credsFile' },
        { cause: error },
      );
    }
    options.authenticator = credsAuthenticator(creds);
  }
  if (config.tls) {
    options.tls = {
      caFile: config.tls.caFile,
      certFile: config.tls.certFile,
      keyFile: config.tls.keyFile,
    };
  }
  return options;
}

/** Connects (failing with a ConfigError that names the servers when the first connect fails). */
export async function connectNats(config: NatsConfig): Promise<NatsConnection> {
  const options = natsConnectionOptions(config);
  try {
    return await connect(options);
  } catch (error) {
    const servers = Array.isArray(config.servers) ? config.servers.join(', ') : config.servers;
    throw new ConfigError(
      `cannot connect to NATS at ${servers}: ${(error as Error).message}`,
      { field: 'nats.servers' },
      {
        cause: error,
      },
    );
  }
}
