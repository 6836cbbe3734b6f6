// Starts a real `nats-server` on a free loopback port from a generated config (max_payload, optional
// token/user/nkey auth and TLS), waits until it speaks the protocol, and restarts or stops it on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WeftError } from './errors.js';

/** Subjects a user may (allow) or may not (deny, which wins) publish or subscribe to; wildcards allowed. */
export interface NatsSubjectRule {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

/** One user of a server with several, each with its own subject permissions. */
export interface NatsServerUser {
  readonly user: string;
  readonly password: string;
  /** Absent: anything. */
  readonly publish?: NatsSubjectRule;
  readonly subscribe?: NatsSubjectRule;
  /**
   * May answer the requests it receives: publish once to each reply subject it was sent, within
   * `expiresMs` of the request (the server's default is 2 minutes, shorter than a training epoch).
   */
  readonly responses?: { readonly expiresMs: number };
}

export type NatsServerAuth =
  | { readonly token: string }
  | { readonly user: string; readonly password: string }
  /** Public user nkeys (starting with 'U') allowed to connect. */
  | { readonly nkeys: readonly string[] }
  | { readonly users: readonly NatsServerUser[] };

export interface NatsServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
  /** Require client certificates signed by caFile. */
  readonly verify?: boolean;
}

export interface NatsServerOptions {
  /** Path of the binary (default: $NATS_SERVER_BIN, /usr/sbin/nats-server, /usr/bin/nats-server, then PATH). */
  readonly binary?: string;
  readonly host?: string;
  /** Port to listen on (default: a free one). */
  readonly port?: number;
  /** Largest message the server accepts (default 8 MiB). */
  readonly maxPayloadBytes?: number;
  readonly auth?: NatsServerAuth;
  readonly tls?: NatsServerTls;
  /** How long to wait for the server to accept connections (default 20 s). */
  readonly startTimeoutMs?: number;
  /** Extra lines appended to the generated config. */
  readonly extraConfig?: string;
  /** Enable JetStream, keeping its streams (object stores, key-value buckets) in this folder. */
  readonly jetStreamDir?: string;
  /**
   * Called when the running server exits without being stopped (killed, crashed), with how it ended;
   * a supervisor restarts it with `restart()`.
   */
  readonly onUnexpectedExit?: (how: string) => void;
}

export interface NatsServer {
  /** `nats://host:port` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly maxPayloadBytes: number;
  readonly configFile: string;
  /** The running server's pid (undefined while stopped). */
  readonly pid: number | undefined;
  /** Stops and starts it again on the same port with the same config. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its config folder. */
  stop(): Promise<void>;
  /** Stops the server but keeps the config, for a later restart(). */
  halt(): Promise<void>;
  /** The server's recent output, for error messages. */
  output(): string;
}

/** The server could not be found, configured or started; `output` holds its last log lines. */
export class NatsServerError extends WeftError {
  readonly output?: string;
  constructor(message: string, output?: string, options?: { cause?: unknown }) {
    super(
      'nats-server',
      output ? `${message}\n${output.trim().split('\n').slice(-15).join('\n')}` : message,
      options,
    );
    this.output = output;
  }
}

const OUTPUT_LIMIT_BYTES = 64 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner that dies mid-test must not leave servers behind.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the nats-server binary is, or undefined when it is not installed. */
export function findNatsServer(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) candidates.push(path.join(dir, 'nats-server'));
  }
  return candidates.find((c): c is string => Boolean(c) && isExecutable(c!));
}

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function renderRule(rule: NatsSubjectRule): string {
  const parts: string[] = [];
  if (rule.allow) parts.push(`allow: [${rule.allow.map(quote).join(', ')}]`);
  if (rule.deny) parts.push(`deny: [${rule.deny.map(quote).join(', ')}]`);
  return `{ ${parts.join(', ')} }`;
}

function renderUser(u: NatsServerUser): string {
  const permissions: string[] = [];
  if (u.publish) permissions.push(`publish: ${renderRule(u.publish)}`);
  if (u.subscribe) permissions.push(`subscribe: ${renderRule(u.subscribe)}`);
  if (u.responses)
    permissions.push(
      `allow_responses: { max: 1, expires: ${quote(`${Math.ceil(u.responses.expiresMs)}ms`)} }`,
    );
  const perms = permissions.length > 0 ? `, permissions: { ${permissions.join(', ')} }` : '';
  return `{ user: ${quote(u.user)}, password: ${quote(u.password)}${perms} }`;
}

function renderConfig(
  options: NatsServerOptions,
  host: string,
  port: number,
  maxPayloadBytes: number,
): string {
  const lines = [
    `listen: ${quote(`${host}:${port}`)}`,
    `max_payload: ${maxPayloadBytes}`,
    // Pending bytes per client must hold a few maximal messages, or big replies mark clients slow.
    `max_pending: ${Math.max(64 * 1024 * 1024, 4 * maxPayloadBytes)}`,
  ];
  const auth = options.auth;
  if (auth) {
    if ('users' in auth)
      lines.push(
        'authorization {',
        '  users: [',
        ...auth.users.map((u) => `    ${renderUser(u)}`),
        '  ]',
        '}',
      );
    else if ('token' in auth) lines.push(`authorization { token: ${quote(auth.token)} }`);
    else if ('user' in auth)
      lines.push(`authorization { user: ${quote(auth.user)}, password: ${quote(auth.password)} }`);
    else
      lines.push(
        `authorization { users: [ ${auth.nkeys.map((k) => `{ nkey: ${quote(k)} }`).join(', ')} ] }`,
      );
  }
  if (options.tls) {
    const tls = options.tls;
    const parts = [
      `cert_file: ${quote(tls.certFile)}`,
      `key_file: ${quote(tls.keyFile)}`,
      'timeout: 5',
    ];
    if (tls.caFile) parts.push(`ca_file: ${quote(tls.caFile)}`);
    if (tls.verify) parts.push('verify: true');
    lines.push(`tls { ${parts.join(', ')} }`);
  }
  if (options.jetStreamDir) lines.push(`jetstream { store_dir: ${quote(options.jetStreamDir)} }`);
  if (options.extraConfig) lines.push(options.extraConfig);
  return `${lines.join('\n')}\n`;
}

/** Resolves once something on host:port sends a NATS INFO line; rejects on timeout or `abort`. */
async function waitForInfo(
  host: string,
  port: number,
  timeoutMs: number,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (exited()) throw new Error('server exited');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      let text = '';
      const done = (result: boolean, why?: string): void => {
        if (why) lastError = why;
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(1000, () => done(false, 'no INFO within 1 s'));
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.startsWith('INFO ')) done(true);
        else if (text.length > 4)
          done(false, `unexpected greeting ${JSON.stringify(text.slice(0, 20))}`);
      });
      socket.on('error', (error) => done(false, error.message));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not accepting connections within ${timeoutMs} ms (${lastError})`);
}

class RunningServer implements NatsServer {
  readonly url: string;
  private child?: ChildProcess;
  private log = '';

  constructor(
    private readonly binary: string,
    readonly host: string,
    readonly port: number,
    readonly maxPayloadBytes: number,
    readonly configFile: string,
    private readonly dir: string,
    private readonly startTimeoutMs: number,
    private readonly onUnexpectedExit?: (how: string) => void,
  ) {
    this.url = `nats://${host}:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  output(): string {
    return this.log;
  }

  async launch(): Promise<void> {
    const child = spawn(this.binary, ['-c', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    let exited = false;
    const append = (chunk: Buffer): void => {
      this.log += chunk.toString('utf8');
      if (this.log.length > OUTPUT_LIMIT_BYTES) this.log = this.log.slice(-OUTPUT_LIMIT_BYTES);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    let ready = false;
    child.once('exit', (code, signal) => {
      exited = true;
      live.delete(child);
      // Not stopped by halt() (which lets go of the child first): the server died under its clients.
      if (!ready || this.child !== child) return;
      this.child = undefined;
      this.onUnexpectedExit?.(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    try {
      await Promise.race([
        waitForInfo(this.host, this.port, this.startTimeoutMs, () => exited),
        spawnError.then((e) => Promise.reject(e)),
      ]);
      ready = true;
    } catch (error) {
      await this.halt();
      throw new NatsServerError(
        `nats-server on ${this.host}:${this.port} did not start: ${(error as Error).message}`,
        this.log,
        {
          cause: error,
        },
      );
    }
  }

  async halt(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (child) live.delete(child);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    live.delete(child);
  }

  async restart(): Promise<void> {
    await this.halt();
    // The old socket can linger a moment after the process is gone: retry while the port is busy.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        const inUse = /address already in use/i.test((error as NatsServerError).output ?? '');
        if (!inUse || attempt >= 10) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts nats-server with a generated config and resolves once it accepts connections. Without an explicit
 * port it picks a free one and retries with another when the port was taken in between.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? findNatsServer();
  if (!binary) {
    throw new NatsServerError(
      'nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN',
    );
  }
  installExitHook();
  const host = options.host ?? '127.0.0.1';
  const maxPayloadBytes = options.maxPayloadBytes ?? 8 * 1024 * 1024;
  const attempts = options.port === undefined ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort(host));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-nats-'));
    const configFile = path.join(dir, 'nats.conf');
    // The config may hold passwords: readable by this user only (the folder is private too).
    writeFileSync(configFile, renderConfig(options, host, port, maxPayloadBytes), { mode: 0o600 });
    const server = new RunningServer(
      binary,
      host,
      port,
      maxPayloadBytes,
      configFile,
      dir,
      options.startTimeoutMs ?? 20_000,
      options.onUnexpectedExit,
    );
    try {
      await server.launch();
      return server;
    } catch (error) {
      lastError = error;
      await server.stop();
      const inUse = /address already in use/i.test((error as NatsServerError).output ?? '');
      if (!inUse) throw error;
    }
  }
  throw lastError;
}
