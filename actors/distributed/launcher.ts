// `weft launch` on one machine: its own nats-server when the spec says `nats: local`, then every actor
// of the job as a separate OS process; restarts an actor process that dies, and stops them all at the end.
import { withDataDefaults } from '../plan/small-labelled.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { WeftError } from '../../runtime/errors.js';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { startNatsServer, type NatsServer } from '../../runtime/nats-server.js';
import { CONTROL_SECRET_ENV, controlSecret, makeControlSecret } from '../control-secret.js';
import type { JobSpec } from '../job-spec.js';
import { checkRemoteSpeedups } from './process-switches.js';
import { jobIdOf, type DistributedResults } from './distributed-job.js';
import {
  jobUsers,
  makeJobCredentials,
  rolePrefixes,
  type RoleCredentials,
} from './nats-permissions.js';
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
  /** Called on process starts, exits and restarts. */
  onEvent?: (e: { kind: string; role: Role; index: number; detail: string }) => void;
  /** Continue from the newest checkpoint in the run directory. */
  resume?: boolean;
  /** max_payload of the local nats-server (default 8 MiB). */
  maxPayloadBytes?: number;
  /**
   * Folder of the Prometheus file_sd target files (default deploy/prometheus/targets under the
   * working directory, where deploy/prometheus/prometheus.yml looks).
   */
  targetsDir?: string;
}

interface Child {
  role: Role;
  index: number;
  proc?: ChildProcess;
  restarts: number;
  exited?: Promise<void>;
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
  /** deploy/prometheus/targets/<job>.json while the job runs (undefined when metrics are off). */
  readonly targetsFile: string | undefined;

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
    for (const c of this.children) this.startChild(c);
    this.targetsFile = this.writeTargets();
    this.finished = this.watchCoordinator();
    this.finished.catch(() => undefined);
  }

  /** Starts the nats-server if asked, then every process of the job. */
  static async start(spec: JobSpec, options: LaunchOptions = {}): Promise<LaunchedJob> {
    // Fail before any process starts when a speed-up switch has no meaning between processes.
    checkRemoteSpeedups(spec);
    const s = structuredClone(withDataDefaults(spec).spec);
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
    let stdio: ('ignore' | 'inherit' | number)[] = ['ignore', 'inherit', 'inherit'];
    let fd: number | undefined;
    if (this.options.output !== 'inherit') {
      fd = openSync(this.logFile(c), 'a');
      stdio = ['ignore', fd, fd];
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
    // Each local process takes its own metrics port (base + position), not a pod's fixed one.
    delete env.WEFT_METRICS_PORT;
    const proc = spawn(process.execPath, args, { stdio, env });
    if (fd !== undefined) closeSync(fd);
    c.proc = proc;
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
    if (this.targetsFile) rmSync(this.targetsFile, { force: true });
  }

  /** deploy/prometheus/targets/<job>.json: where each process of the job serves /metrics. */
  private writeTargets(): string | undefined {
    const base = this.spec.runtime.metricsPort;
    if (base <= 0) return undefined;
    const targets = this.children.map((c, i) => ({
      targets: [`127.0.0.1:${base + i}`],
      labels: { job: this.job, role: c.role, index: String(c.index) },
    }));
    const dir = resolve(this.options.targetsDir ?? 'deploy/prometheus/targets');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.job}.json`);
    writeFileAtomic(file, JSON.stringify(targets, null, 2));
    return file;
  }

  /** The metrics port of an actor's process (base + its position), 0 when metrics are off. */
  static metricsPortOf(spec: JobSpec, role: Role, index: number): number {
    const base = spec.runtime.metricsPort;
    if (base <= 0) return 0;
    let i = 0;
    for (const r of ROLES)
      for (let k = 0; k < roleCount(spec, r); k++, i++)
        if (r === role && k === index) return base + i;
    return 0;
  }
}
