// `weft actor --role R --index I --job ID --nats URL --spec FILE`: one actor of a distributed job in this
// process — what `weft launch` starts per actor and what a Kubernetes pod runs.
import { OWNED_MESSAGE, RUN_LOCK_TOKEN_ENV } from '../../actors/distributed/launcher.js';
import { withDataDefaults } from '../../actors/plan/small-labelled.js';
import { jobIdOf } from '../../actors/distributed/distributed-job.js';
import { ROLES, runRole, SHUTDOWN_TOLD, type Role } from '../../actors/distributed/role-runner.js';
import {
  clusterNatsConfig,
  credsSetting,
  specControlSecret,
} from '../../actors/distributed/cluster-credentials.js';
import { CONTROL_SECRET_ENV, controlSecret } from '../../actors/control-secret.js';
import { loadJobSpec, type JobSpec } from '../../actors/job-spec.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { commandLineError, parseCommandLine, switchFlags, valueFlags } from '../command-line.js';

const USAGE = `usage: weft actor --role ps|sampler|trainer|coordinator [--index I] [--job ID] --nats URL --spec FILE
       [--creds FILE | --token T | --user U] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE]

Runs one actor of a distributed job (separate processes talking over NATS).

  --role R        coordinator, ps (parameter-server shard), sampler or trainer
  --index I       rank within the role (default: $JOB_COMPLETION_INDEX, $VC_TASK_INDEX, else 0)
  --job ID        job id in NATS subjects (default: the spec's name)
  --nats URL      NATS server(s), comma-separated (default: $WEFT_NATS_URL, else the spec's cluster.nats)
  --spec FILE     job spec, YAML or JSON (default: $WEFT_JOB_SPEC)
  --creds FILE    NATS credentials: a .creds file (user JWT and seed) or a file holding a user nkey seed
                  (default: $WEFT_NATS_CREDS)
  --token T       NATS token (default: $WEFT_NATS_TOKEN)
  --user U        NATS user (default: $WEFT_NATS_USER); the password only from $WEFT_NATS_PASSWORD
  --tls-ca FILE   CA of the NATS servers' certificates (default: $WEFT_NATS_TLS_CA)
  --tls-cert FILE client certificate, with --tls-key FILE (default: $WEFT_NATS_TLS_CERT, _KEY)
                  (flags and variables override the spec's cluster.auth and cluster.tls)
  --metrics-port P|auto
                  serve /metrics (and the coordinator's /status) on port P, or on a free port the
                  system chooses ('auto', what weft launch asks for); default $WEFT_METRICS_PORT
                  (a pod's), else the spec's runtime.metricsPort (0: off)
  --resume        coordinator: continue from the newest checkpoint in the run directory (required)
  --fresh         coordinator: start over even when the run directory holds this job's checkpoints
                  (without either, a restarted coordinator resumes its own job's checkpoints)

Logs are JSON lines on stderr at level $WEFT_LOG_LEVEL (default info here: start, ready, and the
coordinator's epochs and evaluations as they happen).`;

function rankFromEnv(): number | undefined {
  for (const name of ['JOB_COMPLETION_INDEX', 'VC_TASK_INDEX']) {
    const v = process.env[name];
    if (v !== undefined && v !== '') return Number(v);
  }
  return undefined;
}

/**
 * Exits when the launcher that started this process is gone, so no actor outlives its job: at once
 * when its IPC channel closes, and by polling its pid (a launcher without the channel).
 */
function watchParent(): void {
  if (process.channel) {
    // The channel alone must not keep this process alive.
    process.channel.unref();
    process.on('disconnect', () => process.exit(3));
  }
  const ppid = Number(process.env.WEFT_PARENT_PID ?? 0);
  if (!ppid) return;
  setInterval(() => {
    try {
      process.kill(ppid, 0);
    } catch {
      process.exit(3);
    }
  }, 1000).unref();
}

/**
 * The connection settings of a `weft actor`: flags first, then WEFT_NATS_* variables (how `weft
 * launch` hands each process its role's credentials), then the spec's cluster.auth and cluster.tls.
 * A password is never taken from the command line.
 */
function natsSettings(
  url: string,
  spec: JobSpec,
  role: Role,
  flags: { creds?: string; token?: string; user?: string } & Record<string, unknown>,
): NatsConfig {
  const env = process.env;
  const creds = flags.creds ?? env.WEFT_NATS_CREDS;
  const token = flags.token ?? env.WEFT_NATS_TOKEN;
  const user = flags.user ?? env.WEFT_NATS_USER;
  const tlsFiles = {
    caFile: (flags['tls-ca'] as string | undefined) ?? env.WEFT_NATS_TLS_CA,
    certFile: (flags['tls-cert'] as string | undefined) ?? env.WEFT_NATS_TLS_CERT,
    keyFile: (flags['tls-key'] as string | undefined) ?? env.WEFT_NATS_TLS_KEY,
  };
  const tls = Object.fromEntries(Object.entries(tlsFiles).filter(([, v]) => v));
  const servers = url.split(',').map((u) => u.trim());
  return clusterNatsConfig(spec, role, servers, {
    ...(creds ? credsSetting(creds, '--creds') : {}),
    ...(token ? { token } : {}),
    ...(user ? { user, password: env.WEFT_NATS_PASSWORD ?? '' } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  });
}

/** Tells the launcher (when there is one) that the coordinator shut this actor down. */
function tellLauncher(): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send({ kind: SHUTDOWN_TOLD }, undefined, {}, () => resolve());
  });
}

/** The metrics port: the flag (a number or 'auto'), else a pod's, else the spec's (0: off). */
function metricsPortOf(
  flag: string | undefined,
  podPort: number,
  specPort: number,
): number | 'auto' {
  if (flag === undefined) return podPort > 0 ? podPort : specPort;
  if (flag === 'auto') return 'auto';
  const port = Number(flag);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw commandLineError(
      `--metrics-port must be a port (0-65535) or 'auto', got ${JSON.stringify(flag)}`,
      '--metrics-port',
    );
  return port;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      ...valueFlags(
        'role index job nats spec creds token user tls-ca tls-cert tls-key metrics-port',
      ),
      ...switchFlags('resume fresh json'),
    },
    USAGE,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role))
    throw commandLineError(
      `--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(values.role)}`,
      '--role',
    );
  if (values.resume && values.fresh)
    throw commandLineError('--resume and --fresh contradict each other', '--fresh');
  const specFile = values.spec ?? process.env.WEFT_JOB_SPEC;
  if (!specFile)
    throw commandLineError('no job spec: pass --spec FILE or set WEFT_JOB_SPEC', '--spec');
  // The graph's data-chosen defaults: every process of a job reads the same manifest.
  const spec = withDataDefaults(loadJobSpec(specFile)).spec;
  const index = values.index !== undefined ? Number(values.index) : (rankFromEnv() ?? 0);
  const url = values.nats ?? process.env.WEFT_NATS_URL ?? spec.cluster.nats;
  if (!url || url === 'local')
    throw commandLineError('no NATS server: pass --nats URL (cluster.nats is "local")', '--nats');
  const nats = natsSettings(url, spec, role, values);
  // Every process of the job holds the same control secret: the environment's, else the spec's file.
  if (!controlSecret()) {
    const secret = specControlSecret(spec, role);
    if (secret) process.env[CONTROL_SECRET_ENV] = secret;
  }
  watchParent();
  // An actor process's log says what it does at the default level (kubectl logs, RUN_DIR/logs).
  process.env.WEFT_LOG_LEVEL ??= 'info';
  // In a pod every process has the same port (WEFT_METRICS_PORT) and is scraped from other hosts;
  // under `weft launch` each binds a free port on loopback and reports it to the launcher.
  const podPort = Number(process.env.WEFT_METRICS_PORT ?? 0);
  const metricsPort = metricsPortOf(values['metrics-port'], podPort, spec.runtime.metricsPort);
  const metricsHost = process.env.WEFT_METRICS_HOST ?? (podPort > 0 ? '0.0.0.0' : '127.0.0.1');
  // Started by `weft launch`: the IPC channel reports the bound port and the epochs (watchParent
  // keeps it from holding this process alive).
  const report = process.send ? (m: object) => process.send!(m) : undefined;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((r) => (stopRequested = r));
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    stopRequested();
    // The coordinator has no drain of its own: a signal ends it (the launcher stops the others).
    if (role === 'coordinator') process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results = await runRole({
    role,
    index,
    job: values.job ?? jobIdOf(spec),
    spec,
    nats,
    stopRequested: stopped,
    resume: values.resume,
    fresh: values.fresh,
    runLockToken: process.env[RUN_LOCK_TOKEN_ENV],
    // Under `weft launch`: the launcher starts the other processes once this one owns the job.
    onOwned: () => process.send?.({ type: OWNED_MESSAGE }),
    metricsPort,
    metricsHost,
    onShutdownTold: tellLauncher,
    onMetricsBound: (u) => report?.({ type: 'weft-metrics-bound', url: u }),
    onEpoch: (e) => report?.({ type: 'weft-epoch', epoch: e }),
  });
  if (results) {
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else
      console.log(
        `job ${jobIdOf(spec)} done: test ${Object.entries(results.test)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join(', ')}; ${results.distributed.rounds} rounds; run directory ${results.run_dir}`,
      );
  }
  // Backend thread pools may keep the event loop alive; the actor is done, so is the process.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}
