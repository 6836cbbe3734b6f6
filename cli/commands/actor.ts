// `weft actor --role R --index I --job ID --nats URL --spec FILE`: one actor of a distributed job in this
// process — what `weft launch` starts per actor and what a Kubernetes pod runs.
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { jobIdOf } from '../../actors/distributed/distributed-job.js';
import { ROLES, runRole, type Role } from '../../actors/distributed/role-runner.js';
import { loadJobSpec } from '../../actors/job-spec.js';
import { commandLineError, parseCommandLine } from '../command-line.js';

const USAGE = `usage: weft actor --role ps|sampler|trainer|coordinator [--index I] [--job ID] --nats URL --spec FILE [--creds FILE]

Runs one actor of a distributed job (separate processes talking over NATS).

  --role R        coordinator, ps (parameter-server shard), sampler or trainer
  --index I       rank within the role (default: $JOB_COMPLETION_INDEX, $VC_TASK_INDEX, else 0)
  --job ID        job id in NATS subjects (default: the spec's name)
  --nats URL      NATS server(s), comma-separated (default: $WEFT_NATS_URL, else the spec's cluster.nats)
  --spec FILE     job spec, YAML or JSON (default: $WEFT_JOB_SPEC)
  --creds FILE    NATS credentials: a file holding a user nkey seed
  --token T       NATS token (default: $WEFT_NATS_TOKEN)
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

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      role: { type: 'string' },
      index: { type: 'string' },
      job: { type: 'string' },
      nats: { type: 'string' },
      spec: { type: 'string' },
      creds: { type: 'string' },
      token: { type: 'string' },
      resume: { type: 'boolean' },
      json: { type: 'boolean' },
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
  const spec = loadJobSpec(specFile);
  const index = values.index !== undefined ? Number(values.index) : (rankFromEnv() ?? 0);
  const url = values.nats ?? process.env.WEFT_NATS_URL ?? spec.cluster.nats;
  if (!url || url === 'local')
    throw commandLineError('no NATS server: pass --nats URL (cluster.nats is "local")', '--nats');
  const token = values.token ?? process.env.WEFT_NATS_TOKEN;
  const nats = {
    servers: url.split(',').map((u) => u.trim()),
    ...(values.creds ? { nkeySeedFile: values.creds } : {}),
    ...(token ? { token } : {}),
  };
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
