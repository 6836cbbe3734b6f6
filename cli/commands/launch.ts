// `weft launch job.yaml`: runs a whole distributed job on this machine as separate processes (and its
// own nats-server when cluster.nats is 'local'); Ctrl-C stops every process it started.
import { applyOverrides, loadJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { commandLineError, parseJobCommand, specOverrides } from '../command-line.js';
import { epochLine } from '../epoch-line.js';
import { formatBaselines, formatMetrics } from '../format-metrics.js';
import { EXIT } from '../print-error.js';
import { interruptHint } from '../resume-run.js';

const USAGE = `usage: weft launch job.yaml [options]

Starts the job's coordinator, cluster.parameterServers parameter-server shards, cluster.samplers
samplers and cluster.trainers trainers as separate processes talking over NATS (cluster.nats: 'local'
starts a nats-server with max_payload 8 MB, fresh credentials per role and per-role permissions; a
nats:// URL joins that server, with the WEFT_NATS_* credentials of this environment). Writes the same
RUN_DIR/results.json, metrics.jsonl and checkpoints/ as weft train; logs go to RUN_DIR/logs/.

While the job runs it prints (on stderr) the coordinator's /status and /metrics URLs when
runtime.metricsPort is set (each process binds a free port; the Prometheus targets file is written
once all have, to $WEFT_TARGETS_DIR or this installation's deploy/prometheus/targets), one line per
epoch with its loss, seeds/s and validation metrics, and every process exit and restart.

options:
  --trainers N          cluster.trainers
  --ps N                cluster.parameterServers
  --samplers N          cluster.samplers
  --nats URL|local      cluster.nats
  --out RUN_DIR         run directory
  --set field=value     any job-spec field (repeatable)
  --resume              continue from the newest checkpoint in the run directory (required)
  --fresh               start over even when the run directory holds this job's checkpoints
                        (without either: this job's checkpoints are resumed, another's refused)
  --inherit-output      actor output to this terminal instead of RUN_DIR/logs/
  --targets-dir DIR     folder of the Prometheus targets file (default: see above)
  --json                print the results as JSON`;

const FLAG_FIELDS = {
  trainers: 'cluster.trainers',
  ps: 'cluster.parameterServers',
  samplers: 'cluster.samplers',
  nats: 'cluster.nats',
  out: 'out',
};

/**
 * What `weft launch` prints about a process event: the coordinator's URLs, the targets file, exits
 * and restarts; nothing for the routine start and metrics of the other processes.
 */
export function launchEventLine(e: {
  kind: string;
  role: string;
  index: number;
  detail: string;
}): string | undefined {
  const coordinator = e.role === 'coordinator';
  if (e.kind === 'metrics')
    return coordinator ? `status ${e.detail}/status, metrics ${e.detail}/metrics` : undefined;
  if (e.kind === 'targets') return `Prometheus targets in ${e.detail}`;
  if (e.kind === 'targets-failed') return `no Prometheus targets: ${e.detail}`;
  if (e.kind === 'started' && !coordinator) return undefined;
  return `${e.role} ${e.index}: ${e.kind} (${e.detail})`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseJobCommand(
    argv,
    'trainers ps samplers nats targets-dir',
    'resume fresh inherit-output',
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw commandLineError('expected one job spec: weft launch job.yaml');
  if (values.resume && values.fresh)
    throw commandLineError('--resume and --fresh contradict each other', '--fresh');
  const spec: JobSpec = applyOverrides(
    loadJobSpec(positionals[0]),
    specOverrides(values, FLAG_FIELDS, values.set),
  );
  const quiet = Boolean(values.json);
  const { LaunchedJob } = await import('../../actors/distributed/launcher.js');
  const say = (line: string | undefined) => {
    if (!quiet && line !== undefined) process.stderr.write(`${line}\n`);
  };
  const job = await LaunchedJob.start(spec, {
    output: values['inherit-output'] ? 'inherit' : 'logs',
    resume: values.resume,
    fresh: values.fresh,
    targetsDir: values['targets-dir'] as string | undefined,
    onEvent: (e) => say(launchEventLine(e)),
    onEpoch: (e) => say(epochLine(e, spec.train.epochs)),
  });
  say(
    `job ${job.job}: ${spec.cluster.parameterServers} ps, ${spec.cluster.samplers} samplers, ${spec.cluster.trainers} trainers on ${job.natsUrl}; logs in ${job.runDir}/logs`,
  );
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('stopping every process of the job...\n');
    void job.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await job.wait();
    if (values.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`best epoch ${r.best_epoch}: val ${formatMetrics(r.val)}`);
      console.log(`test ${formatMetrics(r.test)}`);
      for (const line of formatBaselines(r.test)) console.log(line);
      console.log(
        `${r.distributed.rounds} synchronous rounds, ${r.distributed.batches_applied}/${r.distributed.batches_planned} batches applied; ${Math.round(r.throughput.seeds_per_s).toLocaleString('en-US')} seeds/s; run directory ${r.run_dir}`,
      );
    }
    return 0;
  } catch (error) {
    if (!interrupted) throw error;
    await job.stop();
    const again = ['weft launch', ...argv.filter((a) => a !== '--resume'), '--resume'].join(' ');
    process.stderr.write(`${interruptHint(job.runDir, again)}\n`);
    return EXIT.interrupted;
  } finally {
    await job.stop();
  }
}
