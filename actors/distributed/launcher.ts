// `weft launch` on one machine: its own nats-server when the spec says `nats: local`, then every actor
// of the job as a separate OS process; restarts an actor process (or the nats-server) that dies, and
// stops them all at the end — or, through a reaper process, when the launcher itself is killed.
import { withGraphVersion } from '../coordinator/densify-step.js';
import { withDataDefaults } from '../plan/small-labelled.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { WeftError } from '../../runtime/errors.js';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';
import { MAIN_THREAD_NODE_FLAGS } from '../../runtime/young-generation.js';
import { acquireOwnerLock, type OwnerLock } from '../../runtime/owner-lock.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { startNatsServer, type NatsServer } from '../../runtime/nats-server.js';
import { OrphanReaper } from '../../runtime/orphan-reaper.js';
import { makeTlsFiles, type TlsFiles } from '../../runtime/tls-files.js';
import { CONTROL_SECRET_ENV, controlSecret, makeControlSecret } from '../control-secret.js';
import type { EpochSummary } from '../coordinator/run-results.js';
import { defaultJobSpec, resolveClusterFiles, type JobSpec } from '../job-spec.js';
import { clusterNatsConfig, specControlSecret } from './cluster-credentials.js';
import { refuseOtherJobIn, runLocation } from '../coordinator/run-location.js';
import { checkRemoteSpeedups } from './process-switches.js';
import { jobIdOf, type DistributedResults } from './distributed-job.js';
import {
  jobUsers,
  makeJobCredentials,
  rolePrefixes,
  type RoleCredentials,
} from './nats-permissions.js';
import { defaultTargetsDir, TargetsFile } from './prometheus-targets.js';
import { partitionLayoutOf } from '../sampler/partition-sampling.js';
import { roleCount, ROLES, SHUTDOWN_TOLD, type Role } from './role-runner.js';

/** The job failed: the coordinator exited with an error; `logTail` holds its last lines. */
export class LaunchError extends WeftError {
  constructor(message: string) {
    super('launch', message);
  }
}

export interface LaunchOptions {
  /**
   * Restarts allowed per actor process and for the local nats-server (default 5); the coordinator is
   * never restarted.
   */
  maxRestarts?: number;
  /** Child output: 'logs' (RUN_DIR/logs/<role>-<index>.log, default) or 'inherit'. */
  output?: 'logs' | 'inherit';
  /**
   * Called on process starts, exits and restarts (role 'nats': the local nats-server); `metrics`
   * when a process serves its metrics (detail: the base URL), `targets` once the targets file is
   * written (detail: its path).
   */
  onEvent?: (e: LaunchEvent) => void;
  /** Called after every epoch of the job, as the coordinator finishes it. */
  onEpoch?: (e: EpochSummary) => void;
  /** Continue from the newest checkpoint in the run directory (an error when there is none). */
  resume?: boolean;
  /** Start over even when the run directory holds this job's checkpoints (kept aside). */
  fresh?: boolean;
  /** max_payload of the local nats-server (default 8 MiB). */
  maxPayloadBytes?: number;
  /**
   * Folder of the Prometheus file_sd target files (default `defaultTargetsDir()`: WEFT_TARGETS_DIR,
   * else this installation's deploy/prometheus/targets, where its prometheus.yml looks).
   */
  targetsDir?: string;
}

/** A process of the job started, exited, restarting or given up on. */
export interface LaunchEvent {
  kind: string;
  role: Role | 'nats';
  index: number;
  detail: string;
}

/**
 * What a child process tells the launcher over its IPC channel: that its metrics endpoint listens
 * (every process), and each finished epoch (the coordinator).
 */
export type ChildMessage =
  | { type: 'weft-metrics-bound'; /** Base URL, e.g. http://127.0.0.1:40123 */ url: string }
  | { type: 'weft-epoch'; epoch: EpochSummary };

const typeOf = (m: unknown): unknown =>
  typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;

interface Child {
  role: Role;
  index: number;
  proc?: ChildProcess;
  restarts: number;
  exited?: Promise<void>;
  /** The coordinator told this incarnation to shut down: its exit is no failure. */
  told?: boolean;
  /** Where its current process serves /metrics, once it reported binding. */
  metricsUrl?: string;
}

/** Where a launch's processes and files are (RUN_DIR/launch/processes.json), for operators and tests. */
export interface LaunchRecord {
  launcher: number;
  reaper?: number;
  nats: { url: string; pid?: number; configDir: string; restarts: number } | null;
  targetsFile: string | null;
  actors: { role: Role; index: number; pid?: number; restarts: number }[];
}

// The `weft` command's entry, compiled or source like this file: each child runs `weft actor`.
const CLI = moduleUrl('../../cli/main.js', import.meta.url);

interface LocalNats {
  server: NatsServer;
  credentials: Record<Role, RoleCredentials>;
  tls?: TlsFiles;
}

/**
 * The job's own nats-server: per-role users with fresh credentials (nobody else connects, and each
 * role may only send its own verbs), TLS with a CA of the run's own when the spec asks for it.
 * `onUnexpectedExit` hears of its death (the launcher restarts it).
 */
async function startLocalNats(
  s: JobSpec,
  options: LaunchOptions,
  onUnexpectedExit: (how: string) => void,
): Promise<LocalNats> {
  const job = jobIdOf(s);
  const credentials = makeJobCredentials(job);
  const tls = s.cluster.tls.generate
    ? makeTlsFiles({ name: job, days: 30, field: 'cluster.tls.generate' })
    : undefined;
  try {
    const server = await startNatsServer({
      auth: { users: jobUsers(job, credentials) },
      ...(tls ? { tls: { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile } } : {}),
      maxPayloadBytes: options.maxPayloadBytes ?? 8 * 1024 * 1024,
      // Checkpoints in an object store: JetStream keeps them in the run directory, so a later
      // `--resume` (with a new local server) finds them.
      ...(s.train.checkpointStore === 'jetstream'
        ? { jetStreamDir: join(s.out, 'jetstream') }
        : {}),
      onUnexpectedExit,
    });
    return { server, credentials, tls };
  } catch (error) {
    tls?.remove();
    throw error;
  }
}

/** The environment variable that hands the run directory's lock token to the launched coordinator. */
export const RUN_LOCK_TOKEN_ENV = 'WEFT_RUN_LOCK_TOKEN';
/** What the launched coordinator sends over its IPC channel once it owns the job (job-driver.ts). */
export const OWNED_MESSAGE = 'weft-owned';

/**
 * A job's Prometheus targets file: named for the job and its run directory, so two jobs of one name
 * (run directories differ: each is locked by one owner) never write or remove each other's.
 */
export function targetsFileName(job: string, runDir: string): string {
  const h = createHash('sha256').update(resolve(runDir)).digest('hex').slice(0, 8);
  return `${job}-${h}.json`;
}

/** A job running as processes on this machine. */
export class LaunchedJob {
  readonly job: string;
  readonly runDir: string;
  readonly specFile: string;
  /** RUN_DIR/launch/processes.json: the pids and files of this launch (LaunchRecord). */
  readonly recordFile: string;
  private readonly children: Child[] = [];
  private stopping = false;
  private readonly finished: Promise<DistributedResults>;
  /**
   * Every process of this run gets it; control verbs are honoured only with it (the environment's,
   * else cluster.auth.controlSecretFile's, else fresh per run).
   */
  private readonly controlSecret: string;
  /** The job's Prometheus targets file, <job>-<run dir hash>.json (undefined when metrics are off). */
  private readonly targets: TargetsFile | undefined;
  private targetsWritten!: () => void;
  private targetsFailed!: (error: Error) => void;
  private readonly targetsReady = new Promise<void>((resolve, reject) => {
    this.targetsWritten = resolve;
    this.targetsFailed = reject;
  });
  /** The local nats-server (undefined when joining a server given by URL). */
  readonly natsServer: NatsServer | undefined;
  /** Per-role credentials of the local server. */
  private readonly credentials: Record<Role, RoleCredentials> | undefined;
  /** The run's CA and server certificate when the local server speaks TLS (cluster.tls.generate). */
  private readonly tls: TlsFiles | undefined;
  private natsRestarts = 0;
  /** Why the launcher gave up on the job (the nats-server would not come back). */
  private fatal?: Error;

  private constructor(
    readonly spec: JobSpec,
    readonly natsUrl: string,
    local: LocalNats | undefined,
    private readonly options: LaunchOptions,
    /** The run directory's lock, held by this process for the job's life (shared with the coordinator). */
    private readonly lock: OwnerLock,
    /** Stops this launch's processes and removes its files should the launcher die without stop(). */
    private readonly reaper: OrphanReaper,
  ) {
    this.natsServer = local?.server;
    this.credentials = local?.credentials;
    this.tls = local?.tls;
    this.controlSecret =
      controlSecret() ?? specControlSecret(spec, 'coordinator') ?? makeControlSecret();
    this.job = jobIdOf(spec);
    this.runDir = resolve(spec.out || join('runs', spec.name));
    this.specFile = join(this.runDir, 'launch', 'job-spec.json');
    this.recordFile = join(this.runDir, 'launch', 'processes.json');
    mkdirSync(join(this.runDir, 'launch'), { recursive: true });
    if (options.output !== 'inherit') mkdirSync(join(this.runDir, 'logs'), { recursive: true });
    writeFileAtomic(this.specFile, JSON.stringify(spec, null, 2));
    for (const role of ROLES)
      for (let index = 0; index < roleCount(spec, role); index++)
        this.children.push({ role, index, restarts: 0 });
    // Written only once every process reported the port it bound (metricsBound).
    this.targets =
      spec.runtime.metricsPort > 0
        ? new TargetsFile(
            options.targetsDir ?? defaultTargetsDir(),
            this.job,
            this.children,
            targetsFileName(this.job, this.runDir),
          )
        : undefined;
    if (!this.targets) this.targetsWritten();
    this.targetsReady.catch(() => undefined);
    if (this.targets) reaper.guardPath(this.targets.path);
    // The coordinator first: the others start once it owns the job (its claim on the NATS server).
    this.startChild(this.children[0]);
    this.finished = this.watchCoordinator();
    this.finished.catch(() => undefined);
  }

  /**
   * Starts the other processes once the coordinator says it owns the job; rejects (nothing else
   * started) when it exits first, e.g. refused because the job's name is taken on the server.
   */
  private async startWorkers(): Promise<void> {
    const coord = this.children[0].proc!;
    const owned = new Promise<boolean>((done) => {
      coord.on('message', (m) => {
        if ((m as { type?: string } | null)?.type === OWNED_MESSAGE) done(true);
      });
      coord.once('exit', () => done(false));
    });
    if (!(await owned)) {
      await this.finished;
      throw new LaunchError('the coordinator exited before it owned the job');
    }
    for (const c of this.children.slice(1)) if (!this.stopping) this.startChild(c);
  }

  /** Starts the nats-server if asked, then every process of the job. */
  static async start(spec: JobSpec, options: LaunchOptions = {}): Promise<LaunchedJob> {
    // Fail before any process starts when a speed-up switch has no meaning between processes.
    checkRemoteSpeedups(spec);
    let s = resolveClusterFiles(structuredClone(withDataDefaults(spec).spec), process.cwd());
    s.graph = resolve(s.graph);
    // The densified version is written once here, before any process opens the graph.
    s = await withGraphVersion(s);
    s.out = resolve(s.out || join('runs', s.name));
    if (s.cluster.partitions && s.cluster.partitions !== 'auto')
      s.cluster.partitions = resolve(s.cluster.partitions);
    // One part per sampler: a mismatch fails here, naming cluster.partitions and the folder.
    partitionLayoutOf(s);
    // One owner per run directory, before anything is written there (a JetStream store included).
    const lock = await acquireOwnerLock(s.out, {
      owner: `job ${JSON.stringify(s.name)} (weft launch)`,
    });
    try {
      // Another job's checkpoints are refused before this launch writes its spec or logs there.
      if (s.train.checkpointStore === 'path' && !options.fresh)
        refuseOtherJobIn(s, runLocation(s).ckptDir);
      return await LaunchedJob.launch(s, options, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Starts the local nats-server if asked (under the reaper's watch), then the job's processes. */
  private static async launch(
    s: JobSpec,
    options: LaunchOptions,
    lock: OwnerLock,
  ): Promise<LaunchedJob> {
    const reaper = OrphanReaper.start();
    let local: LocalNats | undefined;
    let url = s.cluster.nats;
    // The server may die before the job object exists to restart it: the first death waits for it.
    let onServerExit: (how: string) => void = () => undefined;
    let diedEarly: string | undefined;
    try {
      if (url === 'local') {
        // The server's credentials are this run's own: a spec's (for servers given by URL) don't apply.
        const blank = defaultJobSpec().cluster;
        s.cluster.auth = { ...blank.auth, controlSecretFile: s.cluster.auth.controlSecretFile };
        s.cluster.tls = { ...blank.tls, generate: s.cluster.tls.generate };
        local = await startLocalNats(s, options, (how) => {
          diedEarly ??= how;
          onServerExit(how);
        });
        reaper.guardPid(local.server.pid);
        reaper.guardPath(dirname(local.server.configFile));
        if (local.tls) reaper.guardPath(local.tls.dir);
        url = local.tls ? local.server.url.replace('nats://', 'tls://') : local.server.url;
      }
    } catch (error) {
      await reaper.close();
      throw error;
    }
    let job: LaunchedJob | undefined;
    try {
      job = new LaunchedJob(s, url, local, options, lock, reaper);
      const launched = job;
      onServerExit = (how) => void launched.natsServerDied(how);
      if (diedEarly !== undefined && local?.server.pid === undefined)
        void job.natsServerDied(diedEarly);
      await job.startWorkers();
      return job;
    } catch (error) {
      if (job) await job.stop();
      else {
        await local?.server.stop();
        local?.tls?.remove();
        await reaper.close();
      }
      throw error;
    }
  }

  /**
   * How a process of `role` connects to this job's NATS: the URL and, on a local server, that role's
   * credentials and private prefixes (what a test probe or an operator's tool connects with).
   */
  natsConfigFor(role: Role): NatsConfig {
    const creds = this.credentials?.[role];
    if (!creds)
      // A server given by URL: the role's settings of cluster.auth and cluster.tls.
      return {
        ...clusterNatsConfig(this.spec, role, [this.natsUrl]),
        ...rolePrefixes(this.job, role),
      };
    return {
      servers: this.natsUrl,
      ...rolePrefixes(this.job, role),
      ...(this.tls ? { tls: { caFile: this.tls.caFile } } : {}),
      user: creds.user,
      password: creds.password,
    };
  }

  /** Path of the job's Prometheus targets file (undefined when metrics are off). */
  get targetsFile(): string | undefined {
    return this.targets?.path;
  }

  /**
   * Resolves once every process has bound its metrics port and the targets file is written (at
   * once when metrics are off); rejects if the job ends first.
   */
  metricsReady(): Promise<void> {
    return Promise.race([
      this.targetsReady,
      this.finished.then(() => {
        throw new LaunchError('the job ended before every process served its metrics');
      }),
    ]);
  }

  /** Base URL of an actor's /metrics (and the coordinator's /status), once its process bound it. */
  metricsUrlOf(role: Role, index: number): string | undefined {
    return this.children.find((c) => c.role === role && c.index === index)?.metricsUrl;
  }

  /** The pid of an actor's current process. */
  pidOf(role: Role, index: number): number | undefined {
    return this.children.find((c) => c.role === role && c.index === index)?.proc?.pid;
  }

  private emit(kind: string, c: { role: Role | 'nats'; index: number }, detail: string): void {
    this.options.onEvent?.({ kind, role: c.role, index: c.index, detail });
  }

  private logFile(c: Child): string {
    return join(this.runDir, 'logs', `${c.role}-${c.index}.log`);
  }

  /**
   * The local nats-server died under the job (killed, crashed): started again on the same port with
   * the same config — the same users, permissions and JetStream folder — so every client reconnects
   * and the job goes on. Gives up (and fails the job) after `maxRestarts`.
   */
  private async natsServerDied(how: string): Promise<void> {
    const server = this.natsServer!;
    const nats = { role: 'nats' as const, index: 0 };
    this.emit('exited', nats, how);
    if (this.stopping) return;
    if (this.natsRestarts >= (this.options.maxRestarts ?? 5)) {
      this.emit('gave-up', nats, `after ${this.natsRestarts} restarts`);
      return this.giveUp(new LaunchError(`the nats-server died (${how}) and was not restarted`));
    }
    this.natsRestarts++;
    this.emit('restarting', nats, `restart ${this.natsRestarts} after ${how}`);
    try {
      await server.restart();
    } catch (error) {
      this.emit('gave-up', nats, (error as Error).message);
      return this.giveUp(
        new LaunchError(
          `the nats-server died (${how}) and could not start again: ${String(error)}`,
        ),
      );
    }
    if (this.stopping) return void server.stop();
    this.reaper.guardPid(server.pid);
    this.emit('started', nats, `pid ${server.pid}`);
    this.writeRecord();
  }

  /** The launch cannot go on: every process stops and wait() rejects with `error`. */
  private async giveUp(error: Error): Promise<void> {
    this.fatal ??= error;
    await this.stop();
  }

  private startChild(c: Child): void {
    const args = [...MAIN_THREAD_NODE_FLAGS, ...execArgvFor(CLI), fileURLToPath(CLI)];
    args.push('actor', '--role', c.role);
    args.push('--index', String(c.index), '--job', this.job);
    args.push('--nats', this.natsUrl, '--spec', this.specFile);
    if (c.role === 'coordinator' && this.options.resume) args.push('--resume');
    if (c.role === 'coordinator' && this.options.fresh) args.push('--fresh');
    if (this.targets) args.push('--metrics-port', 'auto');
    // The IPC channel tells the launcher that the coordinator shut an actor down (an exit without it
    // is a failure), where the actor serves its metrics and (the coordinator) each finished epoch;
    // and it tells the actor at once when the launcher is gone.
    let stdio: ('ignore' | 'inherit' | 'ipc' | number)[] = ['ignore', 'inherit', 'inherit', 'ipc'];
    let fd: number | undefined;
    if (this.options.output !== 'inherit') {
      fd = openSync(this.logFile(c), 'a');
      stdio = ['ignore', fd, fd, 'ipc'];
    }
    const proc = spawn(process.execPath, args, { stdio, env: this.childEnv(c) });
    if (fd !== undefined) closeSync(fd);
    c.proc = proc;
    c.told = false;
    this.reaper.guardPid(proc.pid);
    this.emit('started', c, `pid ${proc.pid}`);
    this.writeRecord();
    c.metricsUrl = undefined;
    proc.on('message', (m: unknown) => {
      if (c.proc !== proc) return;
      if ((m as { kind?: string } | null)?.kind === SHUTDOWN_TOLD) c.told = true;
      else if (
        typeOf(m) === 'weft-metrics-bound' &&
        typeof (m as { url?: unknown }).url === 'string'
      )
        this.metricsBound(c, (m as { url: string }).url);
      else if (typeOf(m) === 'weft-epoch' && c.role === 'coordinator')
        this.options.onEpoch?.((m as { epoch: EpochSummary }).epoch);
    });
    // 'close' comes after the exit and after the IPC channel is drained, so a `told` sent just
    // before the exit has arrived.
    c.exited = new Promise((done) => {
      proc.once('close', (code, signal) => {
        this.reaper.forgetPid(proc.pid);
        done();
        if (c.proc !== proc) return;
        c.proc = undefined;
        this.childExited(c, code, signal);
      });
    });
  }

  /** An actor process ended: a failure unless the coordinator told it to stop (or the job is stopping). */
  private childExited(c: Child, code: number | null, signal: NodeJS.Signals | null): void {
    let how = signal ? `signal ${signal}` : `exit code ${code}`;
    // The coordinator is the one that tells; its own exit code says how the job ended.
    const failed = signal !== null || code !== 0 || (!c.told && c.role !== 'coordinator');
    if (failed && signal === null && code === 0) how += ' without a shutdown from the coordinator';
    this.emit('exited', c, how);
    this.writeRecord();
    if (!failed || this.stopping || c.role === 'coordinator') return;
    if (c.restarts >= (this.options.maxRestarts ?? 5)) {
      this.emit('gave-up', c, `after ${c.restarts} restarts`);
      return;
    }
    c.restarts++;
    setTimeout(() => {
      if (this.stopping) return;
      this.emit('restarting', c, `restart ${c.restarts} after ${how}`);
      this.startChild(c);
    }, 250);
  }

  /** The environment of an actor process: its role's credentials, the control secret, the parent. */
  private childEnv(c: Child): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WEFT_PARENT_PID: String(process.pid),
      [CONTROL_SECRET_ENV]: this.controlSecret,
    };
    if (c.role === 'coordinator') env[RUN_LOCK_TOKEN_ENV] = this.lock.token;
    else delete env[RUN_LOCK_TOKEN_ENV];
    const creds = this.credentials?.[c.role];
    if (creds) {
      // Credentials go through the environment (readable by this user only), never the command line;
      // any others the launcher was given are for other servers.
      for (const name of Object.keys(env)) if (name.startsWith('WEFT_NATS_')) delete env[name];
      env.WEFT_NATS_USER = creds.user;
      env.WEFT_NATS_PASSWORD = creds.password;
      if (this.tls) env.WEFT_NATS_TLS_CA = this.tls.caFile;
    }
    // Each local process binds a port the system chooses (no fixed range to clash with another
    // job's) and reports it (startChild asks with --metrics-port auto); the targets file lists it
    // only then.
    delete env.WEFT_METRICS_PORT;
    return env;
  }

  /** RUN_DIR/launch/processes.json, rewritten whenever a process starts or exits. */
  private writeRecord(): void {
    const server = this.natsServer;
    const record: LaunchRecord = {
      launcher: process.pid,
      reaper: this.reaper.pid,
      nats: server
        ? {
            url: server.url,
            pid: server.pid,
            configDir: dirname(server.configFile),
            restarts: this.natsRestarts,
          }
        : null,
      targetsFile: this.targetsFile ?? null,
      actors: this.children.map((c) => ({
        role: c.role,
        index: c.index,
        pid: c.proc?.pid,
        restarts: c.restarts,
      })),
    };
    writeFileAtomic(this.recordFile, JSON.stringify(record, null, 2));
  }

  private async watchCoordinator(): Promise<DistributedResults> {
    const coord = this.children.find((c) => c.role === 'coordinator')!;
    const proc = coord.proc!;
    const code = await new Promise<number | null>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) r(proc.exitCode);
      else proc.once('exit', (c) => r(c));
    });
    // Workers got their shutdown from the coordinator; give them a moment, then stop the rest.
    await this.stop(code === 0 ? 10_000 : 0);
    if (this.fatal) throw this.fatal;
    if (code !== 0) {
      const tail = this.options.output === 'inherit' ? '' : this.tail(coord);
      throw new LaunchError(`the coordinator exited with code ${code}${tail ? `:\n${tail}` : ''}`);
    }
    const path = join(this.runDir, 'results.json');
    return JSON.parse(readFileSync(path, 'utf8')) as DistributedResults;
  }

  private tail(c: Child): string {
    const f = this.logFile(c);
    if (!existsSync(f)) return '';
    return readFileSync(f, 'utf8').trim().split('\n').slice(-20).join('\n');
  }

  /** Resolves with the job's results when the coordinator finished; rejects if it failed. */
  wait(): Promise<DistributedResults> {
    return this.finished;
  }

  /**
   * Stops every process: waits up to `graceMs` for them to exit on their own, then SIGTERM (they
   * drain), then SIGKILL after 10 s; stops the local nats-server. Leaves no process behind.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    const live = () =>
      this.children.filter((c) => c.proc && c.proc.exitCode === null && c.proc.signalCode === null);
    const allExited = () => Promise.all(this.children.map((c) => c.exited));
    const within = (ms: number) =>
      Promise.race([allExited(), new Promise((r) => setTimeout(r, ms).unref())]);
    if (graceMs > 0) await within(graceMs);
    for (const c of live()) c.proc!.kill('SIGTERM');
    await within(10_000);
    for (const c of live()) c.proc!.kill('SIGKILL');
    await allExited();
    await this.natsServer?.stop();
    // What the server said last, its refusals included (a client without credentials, a role
    // publishing or subscribing outside its permissions): kept with the actors' logs.
    if (this.natsServer && this.options.output !== 'inherit')
      writeFileSync(join(this.runDir, 'logs', 'nats-server.log'), this.natsServer.output());
    this.tls?.remove();
    // Prometheus drops the job's targets once their file is gone.
    this.targets?.remove();
    // Everything is cleaned up: the reaper leaves without touching anything.
    await this.reaper.close();
    this.lock.release();
  }

  /** A process serves /metrics at `url`: the targets file follows, once every process has. */
  private metricsBound(c: Child, url: string): void {
    c.metricsUrl = url;
    this.emit('metrics', c, url);
    if (!this.targets || this.stopping) return;
    const wasWritten = this.targets.written;
    try {
      this.targets.report(c.role, c.index, new URL(url).host);
    } catch (error) {
      // The job runs on without Prometheus targets (a read-only installation, say); say why.
      const message = `cannot write ${this.targets.path}: ${(error as Error).message}; set --targets-dir or WEFT_TARGETS_DIR`;
      this.emit('targets-failed', c, message);
      this.targetsFailed(new LaunchError(message));
      return;
    }
    if (this.targets.written && !wasWritten) {
      this.targetsWritten();
      this.emit('targets', c, this.targets.path);
      this.writeRecord();
    }
  }
}
