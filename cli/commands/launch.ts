// `weft launch job.yaml`: runs a whole distributed job on this machine as separate processes (and its
// own nats-server when cluster.nats is 'local'); Ctrl-C stops every process it started.
import { applyOverrides, loadJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { commandLineError, parseJobCommand, specOverrides } from '../command-line.js';
import { formatBaselines, formatMetrics } from '../format-metrics.js';

const USAGE = `usage: weft launch job.yaml [options]

Starts the job's coordinator, cluster.parameterServers parameter-server shards, cluster.samplers
samplers and cluster.trainers trainers as separate processes talking over NATS (cluster.nats: 'local'
starts a nats-server with max_payload 8 MB, fresh credentials per role and per-role permissions; a
nats:// URL joins that server, with the WEFT_NATS_* credentials of this environment). Writes the same
RUN_DIR/results.json, metrics.jsonl and checkpoints/ as weft train; logs go to RUN_DIR/logs/.

options:
  --trainers N          cluster.trainers
  --ps N                cluster.parameterServers
  --samplers N          cluster.samplers
  --nats URL|local      cluster.nats
  --out RUN_DIR         run directory
  --set field=value     any job-spec field (repeatable)
  --resume              continue from the newest checkpoint in the run directory
  --inherit-output      actor output to this terminal instead of RUN_DIR/logs/
  --json                print the results as JSON`;

const FLAG_FIELDS = {
  trainers: 'cluster.trainers',
  ps: 'cluster.parameterServers',
  samplers: 'cluster.samplers',
  nats: 'cluster.nats',
  out: 'out',
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseJobCommand(argv, 'trainers ps samplers nats', 'resume inherit-output', USAGE);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw commandLineError('expected one job spec: weft launch job.yaml');
  const spec: JobSpec = applyOverrides(
    loadJobSpec(positionals[0]),
    specOverrides(values, FLAG_FIELDS, values.set),
  );
  const quiet = Boolean(values.json);
  const { LaunchedJob } = await import('../../actors/distributed/launcher.js');
  const job = await LaunchedJob.start(spec, {
    output: values['inherit-output'] ? 'inherit' : 'logs',
    resume: values.resume,
    onEvent: quiet
      ? undefined
      : (e) => {
          if (e.kind !== 'started' || e.role === 'coordinator')
            process.stderr.write(`${e.role} ${e.index}: ${e.kind} (${e.detail})\n`);
        },
  });
  if (!quiet)
    process.stderr.write(
      `job ${job.job}: ${spec.cluster.parameterServers} ps, ${spec.cluster.samplers} samplers, ${spec.cluster.trainers} trainers on ${job.natsUrl}; logs in ${job.runDir}/logs\n`,
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
      console.log(`best epoch ${r.best_epoch + 1}: val ${formatMetrics(r.val)}`);
      console.log(`test ${formatMetrics(r.test)}`);
      for (const line of formatBaselines(r.test)) console.log(line);
      console.log(
        `${r.distributed.rounds} synchronous rounds, ${r.distributed.batches_applied}/${r.distributed.batches_planned} batches applied; ${Math.round(r.throughput.seeds_per_s).toLocaleString('en-US')} seeds/s; run directory ${r.run_dir}`,
      );
    }
    return 0;
  } catch (error) {
    if (interrupted) return 130;
    throw error;
  } finally {
    await job.stop();
  }
}
