// `weft launch` on one machine: its own nats-server when the spec says `nats: local`, then every actor
// of the job as a separate OS process; restarts an actor process that dies, and stops them all at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { WeftError } from '../../runtime/errors.js';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { startNatsServer, type NatsServer } from '../../runtime/nats-server.js';
import { CONTROL_SECRET_ENV, controlSecret, makeControlSecret } from '../control-secret.js';
import type { EpochSummary } from '../coordinator/run-results.js';
import type { JobSpec } from '../job-spec.js';
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
import { roleCount, ROLES, type Role } from './role-runner.js';

/** The job failed: the coordinator exited with an error; `logTail` holds its last lines. */
export class LaunchError extends WeftError {
  constructor(message: string) {
    super('launch', message);
  }
}

export interface LaunchOptions {
  /** Restarts allowed per actor process (default 5); the coordinator is never restarted. */
  maxRestarts?: number;
  /** Child output: 'logs' (RUN_DIR/logs/<role>-<index>.log, default) or 'inherit'. */
  output?: 'logs' | 'inherit';
  /**
   * Called on process starts, exits and restarts; `metrics` when a process serves its metrics
   * (detail: the base URL), `targets` once the targets file is written (detail: its path).
   */
  onEvent?: (e: { kind: string; role: Role; index: number; detail: string }) => void;
  /** Called after every epoch of the job, as the coordinator finishes it. */
  onEpoch?: (e: EpochSummary) => void;
  /** Continue from the newest checkpoint in the run directory. */
  resume?: boolean;
  /** max_payload of the local nats-server (default 8 MiB). */
  maxPayloadBytes?: number;
  /**
   * Folder of the Prometheus file_sd target files (default `defaultTargetsDir()`: WEFT_TARGETS_DIR,
   * else this installation's deploy/prometheus/targets, where its prometheus.yml looks).
   */
  targetsDir?: string;
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
  /** Where its current process serves /metrics, once it reported binding. */
  metricsUrl?: string;
}

// The `weft` command's entry, compiled or source like this file: each child runs `weft actor`.
const CLI = moduleUrl('../../cli/main.js', import.meta.url);

/** A job running as processes on this machine. */
export class LaunchedJob {
  readonly job: string;
  readonly runDir: string;
  readonly specFile: string;
  private readonly children: Child[] = [];
  private stopping = false;
  private readonly finished: Promise<DistributedResults>;
  /** Every process of this run gets it; `shutdown` is honoured only with it (given, or fresh per run). */
  private readonly controlSecret = controlSecret() ?? makeControlSecret();
  /** The job's Prometheus targets file (undefined when metrics are off). */
  private readonly targets: TargetsFile | undefined;
  private targetsWritten!: () => void;
  private targetsFailed!: (error: Error) => void;
  private readonly targetsReady = new Promise<void>((resolve, reject) => {
    this.targetsWritten = resolve;
    this.targetsFailed = reject;
  });

  private constructor(
    readonly spec: JobSpec,
    readonly natsUrl: string,
    readonly natsServer: NatsServer | undefined,
    private readonly options: LaunchOptions,
    /** Per-role credentials of the local server (undefined when joining a server given by URL). */
    private readonly credentials: Record<Role, RoleCredentials> | undefined,
  ) {
    this.job = jobIdOf(spec);
    this.runDir = resolve(spec.out || join('runs', spec.name));
    this.specFile = join(this.runDir, 'launch', 'job-spec.json');
    mkdirSync(join(this.runDir, 'launch'), { recursive: true });
    if (options.output !== 'inherit') mkdirSync(join(this.runDir, 'logs'), { recursive: true });
    writeFileAtomic(this.specFile, JSON.stringify(spec, null, 2));
    for (const role of ROLES)
      for (let index = 0; index < roleCount(spec, role); index++)
        this.children.push({ role, index, restarts: 0 });
    // Written only once every process reported the port it bound (below, in startChild).
    this.targets =
      spec.runtime.metricsPort > 0
        ? new TargetsFile(options.targetsDir ?? defaultTargetsDir(), this.job, this.children)
        : undefined;
    if (!this.targets) this.targetsWritten();
    this.targetsReady.catch(() => undefined);
    for (const c of this.children) this.startChild(c);
    this.finished = this.watchCoordinator();
    this.finished.catch(() => undefined);
  }

  /** Starts the nats-server if asked, then every process of the job. */
  static async start(spec: JobSpec, options: LaunchOptions = {}): Promise<LaunchedJob> {
    // Fail before any process starts when a speed-up switch has no meaning between processes.
    checkRemoteSpeedups(spec);
    const s = structuredClone(spec);
    s.graph = resolve(s.graph);
    s.out = resolve(s.out || join('runs', s.name));
    if (s.cluster.partitions && s.cluster.partitions !== 'auto')
      s.cluster.partitions = resolve(s.cluster.partitions);
    // One part per sampler: a mismatch fails here, naming cluster.partitions and the folder.
    partitionLayoutOf(s);
    let server: NatsServer | undefined;
    let credentials: Record<Role, RoleCredentials> | undefined;
    let url = s.cluster.nats;
    if (url === 'local') {
      // Nobody without this run's credentials connects, and each role may only send its own verbs.
      const job = jobIdOf(s);
      credentials = makeJobCredentials(job);
      server = await startNatsServer({
        auth: { users: jobUsers(job, credentials) },
        maxPayloadBytes: options.maxPayloadBytes ?? 8 * 1024 * 1024,
        // Checkpoints in an object store: JetStream keeps them in the run directory, so a later
        // `--resume` (with a new local server) finds them.
        ...(s.train.checkpointStore === 'jetstream'
          ? { jetStreamDir: join(s.out, 'jetstream') }
          : {}),
      });
      url = server.url;
    }
    return new LaunchedJob(s, url, server, options, credentials);
  }

  /**
   * How a process of `role` connects to this job's NATS: the URL and, on a local server, that role's
   * credentials and private prefixes (what a test probe or an operator's tool connects with).
   */
  natsConfigFor(role: Role): NatsConfig {
    const creds = this.credentials?.[role];
    return {
      servers: this.natsUrl,
      ...rolePrefixes(this.job, role),
      ...(creds ? { user: creds.user, password: creds.password } : {}),
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

  private emit(kind: string, c: Child, detail: string): void {
    this.options.onEvent?.({ kind, role: c.role, index: c.index, detail });
  }

  private logFile(c: Child): string {
    return join(this.runDir, 'logs', `${c.role}-${c.index}.log`);
  }

  private startChild(c: Child): void {
    const args = [...execArgvFor(CLI), fileURLToPath(CLI), 'actor', '--role', c.role];
    args.push('--index', String(c.index), '--job', this.job);
    args.push('--nats', this.natsUrl, '--spec', this.specFile);
    if (c.role === 'coordinator' && this.options.resume) args.push('--resume');
    // The IPC channel carries ChildMessages back: the metrics address bound, the epochs finished.
    let stdio: ('ignore' | 'inherit' | 'ipc' | number)[] = ['ignore', 'inherit', 'inherit', 'ipc'];
    let fd: number | undefined;
    if (this.options.output !== 'inherit') {
      fd = openSync(this.logFile(c), 'a');
      stdio = ['ignore', fd, fd, 'ipc'];
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WEFT_PARENT_PID: String(process.pid),
      [CONTROL_SECRET_ENV]: this.controlSecret,
    };
    const creds = this.credentials?.[c.role];
    if (creds) {
      // Credentials go through the environment (readable by this user only), never the command line;
      // any others the launcher was given are for other servers.
      for (const name of Object.keys(env)) if (name.startsWith('WEFT_NATS_')) delete env[name];
      env.WEFT_NATS_USER = creds.user;
      env.WEFT_NATS_PASSWORD = creds.password;
    }
    // Each local process binds a port the system chooses (no fixed range to clash with another
    // job's) and reports it; the targets file lists it only then.
    delete env.WEFT_METRICS_PORT;
    if (this.targets) args.push('--metrics-port', 'auto');
    const proc = spawn(process.execPath, args, { stdio, env });
    if (fd !== undefined) closeSync(fd);
    c.proc = proc;
    c.metricsUrl = undefined;
    proc.on('message', (raw) => {
      if (c.proc !== proc) return;
      const m = raw as ChildMessage;
      if (typeOf(m) === 'weft-metrics-bound' && typeof (m as { url?: unknown }).url === 'string')
        this.metricsBound(c, (m as { url: string }).url);
      else if (typeOf(m) === 'weft-epoch' && c.role === 'coordinator')
        this.options.onEpoch?.((m as { epoch: EpochSummary }).epoch);
    });
    this.emit('started', c, `pid ${proc.pid}`);
    c.exited = new Promise((done) => {
      proc.once('exit', (code, signal) => {
        done();
        if (c.proc !== proc) return;
        c.proc = undefined;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        this.emit('exited', c, how);
        const failed = signal !== null || code !== 0;
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
      });
    });
  }

  private async watchCoordinator(): Promise<DistributedResults> {
    const coord = this.children.find((c) => c.role === 'coordinator')!;
    const proc = coord.proc!;
    const code = await new Promise<number | null>((r) => {
      if (proc.exitCode !== null) r(proc.exitCode);
      else proc.once('exit', (c) => r(c));
    });
    // Workers got their shutdown from the coordinator; give them a moment, then stop the rest.
    await this.stop(code === 0 ? 10_000 : 0);
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
    // Prometheus drops the job's targets once their file is gone.
    this.targets?.remove();
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
    }
  }
}
