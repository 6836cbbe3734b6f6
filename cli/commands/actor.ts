// `weft actor --role R --index I --job ID --nats URL --spec FILE`: one actor of a distributed job in this
// process — what `weft launch` starts per actor and what a Kubernetes pod runs.
import { withDataDefaults } from '../../actors/plan/small-labelled.js';
import { readFileSync } from 'node:fs';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { jobIdOf } from '../../actors/distributed/distributed-job.js';
import { ROLES, runRole, type Role } from '../../actors/distributed/role-runner.js';
import { loadJobSpec } from '../../actors/job-spec.js';
import { ConfigError } from '../../runtime/errors.js';
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
  --resume        coordinator: continue from the newest checkpoint in the run directory`;

function rankFromEnv(): number | undefined {
  for (const name of ['JOB_COMPLETION_INDEX', 'VC_TASK_INDEX']) {
    const v = process.env[name];
    if (v !== undefined && v !== '') return Number(v);
  }
  return undefined;
}

/** Exits when the launcher that started this process is gone, so no actor outlives its job. */
function watchParent(): void {
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
 * launch` hands each process its role's credentials). A password is never taken from the command line.
 */
function natsSettings(
  url: string,
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
  return {
    servers: url.split(',').map((u) => u.trim()),
    ...(creds ? credsSetting(creds) : {}),
    ...(token ? { token } : {}),
    ...(user ? { user, password: env.WEFT_NATS_PASSWORD ?? '' } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

/** A .creds file (a user JWT then its seed) authenticates with both; a bare seed file as an nkey. */
function credsSetting(file: string): Pick<NatsConfig, 'credsFile' | 'nkeySeedFile'> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read NATS credentials: ${(error as Error).message}`, {
      file,
      field: '--creds',
    });
  }
  return text.includes('BEGIN NATS USER JWT') ? { credsFile: file } : { nkeySeedFile: file };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      ...valueFlags('role index job nats spec creds token user tls-ca tls-cert tls-key'),
      ...switchFlags('resume json'),
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
  const specFile = values.spec ?? process.env.WEFT_JOB_SPEC;
  if (!specFile)
    throw commandLineError('no job spec: pass --spec FILE or set WEFT_JOB_SPEC', '--spec');
  // The graph's data-chosen defaults: every process of a job reads the same manifest.
  const spec = withDataDefaults(loadJobSpec(specFile)).spec;
  const index = values.index !== undefined ? Number(values.index) : (rankFromEnv() ?? 0);
  const url = values.nats ?? process.env.WEFT_NATS_URL ?? spec.cluster.nats;
  if (!url || url === 'local')
    throw commandLineError('no NATS server: pass --nats URL (cluster.nats is "local")', '--nats');
  const nats = natsSettings(url, values);
  watchParent();
  // In a pod every process has the same port (WEFT_METRICS_PORT) and is scraped from other hosts;
  // under `weft launch` each takes base + its position, on loopback.
  const podPort = Number(process.env.WEFT_METRICS_PORT ?? 0);
  const metricsPort = podPort > 0 ? podPort : LaunchedJob.metricsPortOf(spec, role, index);
  const metricsHost = process.env.WEFT_METRICS_HOST ?? (podPort > 0 ? '0.0.0.0' : '127.0.0.1');
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
    metricsPort,
    metricsHost,
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
