// `weft train [job.yaml] [flags]`: resolves the job spec (file, then flags), runs the training job on
// this machine's embedded transport with a progress line, and prints the summary.
import { describeChosen, withDataDefaults } from '../../actors/plan/small-labelled.js';
import { join, resolve } from 'node:path';
import { selectionMetric } from '../../actors/coordinator/coordinator-state.js';
import type { JobResults } from '../../actors/coordinator/run-results.js';
import {
  applyOverrides,
  defaultJobSpec,
  loadJobSpec,
  type JobSpec,
} from '../../actors/job-spec.js';
import {
  addSetOverrides,
  commandLineError,
  parseJobCommand,
  specOverrides,
} from '../command-line.js';
import { formatBaselines, formatMetrics, relationLines } from '../format-metrics.js';
import { noteOutput } from '../print-error.js';
import { ProgressDisplay } from '../progress-display.js';
import { plural } from '../progress-line.js';
import {
  checkResumable,
  interruptHint,
  onInterrupt,
  resumeLine,
  resumePoint,
  type ResumePoint,
} from '../resume-run.js';

const USAGE = `usage: weft train [job.yaml] [options]

Trains a GNN (GraphSAGE, GAT or R-GCN) with sampler, trainer and parameter-server actors on this machine.
Writes RUN_DIR/results.json, RUN_DIR/metrics.jsonl and RUN_DIR/checkpoints/. One process owns a run
directory at a time (RUN_DIR/run.lock). A RUN_DIR holding this job's checkpoints is resumed (a rerun
after a crash continues); one holding another job's checkpoints is refused unless --fresh.

options (override the job spec):
  --graph DIR           graph directory (weft graph build / synth)
  --task node|link      node classification or link prediction
  --encoder sage|gat|rgcn|gcn  message-passing layers (docs/encoders.md)
  --layers N            encoder layers
  --hidden H            hidden width
  --fanouts 15,10       neighbours per hop
  --batch-size B        seeds per batch
  --epochs N            epochs
  --lr X                learning rate
  --seed S              seed of every random choice
  --out RUN_DIR         run directory (default runs/<name>)
  --set field=value     any job-spec field, e.g. --set train.optimizer=adamw (repeatable)
  --resume RUN_DIR      continue a run from its newest checkpoint, with its own job spec
  --fresh               start over even when RUN_DIR holds checkpoints (kept aside as
                        checkpoints.replaced-<time>)
  --json                print the results as JSON
  --quiet               no progress line`;

const FLAG_FIELDS = {
  graph: 'graph',
  task: 'task',
  encoder: 'model.encoder',
  layers: 'model.layers',
  hidden: 'model.hidden',
  fanouts: 'sampling.fanouts',
  'batch-size': 'sampling.batchSize',
  epochs: 'train.epochs',
  lr: 'train.lr',
  seed: 'train.seed',
  out: 'out',
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseJobCommand(
    argv,
    'graph task encoder layers hidden fanouts batch-size epochs lr seed resume',
    'quiet fresh',
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw commandLineError(`expected at most one job spec, got ${positionals.join(' ')}`);
  if (values.resume && values.fresh)
    throw commandLineError('--resume and --fresh contradict each other', '--fresh');
  const resumed = values.resume ? resumePoint(values.resume) : undefined;
  // Defaults chosen by the data (a small labelled set) for the fields still at their defaults.
  const data = withDataDefaults(resolveSpec(values, positionals[0], resumed));
  const spec = data.spec;
  if (data.chosen.length > 0 && !values.quiet && !values.json)
    console.log(describeChosen(data.chosen));
  if (resumed) checkResumable(resumed, spec);
  const runDir = resolve(spec.out || join('runs', spec.name));
  noteOutput(runDir);

  const human = !values.quiet && !values.json;
  const display = new ProgressDisplay({
    write: (t) => process.stderr.write(t),
    columns: () => (process.stderr.isTTY ? process.stderr.columns || 80 : undefined),
    evaluates: true,
  });
  if (resumed && !values.json) process.stderr.write(`${resumeLine(resumed, spec)}\n`);
  const stopHint = onInterrupt(() => {
    display.clear();
    process.stderr.write(`${interruptHint(runDir)}\n`);
  });
  // Loaded here, not at the top: TensorFlow.js and the actors are not needed for --help or a bad flag.
  const { runTraining } = await import('../../actors/coordinator/train-job.js');
  let results;
  try {
    results = await runTraining(spec, {
      resume: Boolean(values.resume),
      fresh: Boolean(values.fresh),
      onProgress: human ? display.update : undefined,
      onEpoch: human ? (e) => display.epoch(e, spec.train.epochs) : undefined,
      onEvent: human
        ? (e) => {
            if (e.kind === 'warning') process.stderr.write(`warning: ${e.detail}\n`);
            // A run continued without --resume (the run directory held this job's checkpoints).
            else if (e.kind === 'restore' && !resumed)
              process.stderr.write(`resuming ${runDir} ${e.detail} (--fresh starts over)\n`);
          }
        : undefined,
    });
  } finally {
    stopHint();
    display.clear();
  }
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
    return 0;
  }
  for (const line of summaryLines(results, spec, resumed)) console.log(line);
  return 0;
}

/** The job spec: the resumed run's own (only --epochs may change), or the file's, then the flags. */
function resolveSpec(
  values: { set?: string[]; [flag: string]: unknown },
  file: string | undefined,
  resumed: ResumePoint | undefined,
): JobSpec {
  let spec: JobSpec;
  if (resumed) {
    spec = structuredClone(resumed.spec);
    spec.out = resumed.runDir;
  } else {
    spec = file ? loadJobSpec(file) : defaultJobSpec();
  }
  const overrides = specOverrides(values, FLAG_FIELDS);
  if (resumed) {
    // A resumed run reproduces the original exactly; only its length may change.
    const changed = Object.keys(overrides).filter((f) => f !== 'train.epochs');
    if (changed.length > 0 || (values.set ?? []).length > 0)
      throw commandLineError(
        `continues a run with its own job spec; only --epochs may change (got ${[...changed, ...(values.set ?? [])].join(', ')})`,
        '--resume',
      );
  }
  addSetOverrides(values.set, overrides);
  // Layers given without fanouts: repeat the last fanout so the two agree.
  if (overrides['model.layers'] !== undefined && overrides['sampling.fanouts'] === undefined) {
    const layers = Number(overrides['model.layers']);
    const f = spec.sampling.fanouts;
    if (Number.isInteger(layers) && layers > 0)
      overrides['sampling.fanouts'] = Array.from(
        { length: layers },
        (_, i) => f[Math.min(i, f.length - 1)],
      );
  }
  return applyOverrides(spec, overrides);
}

/** The closing lines: what ran, the best epoch's metrics, throughput and where the run lives. */
function summaryLines(r: JobResults, spec: JobSpec, resumed?: ResumePoint): string[] {
  const epochs = resumed
    ? `${plural(r.epochs, 'epoch')} (${r.epochs - resumed.epochsDone} after resuming)`
    : plural(r.epochs, 'epoch');
  const stopped = r.stopped_early ? `, stopped early (no ${selectionMetric(spec)} gain)` : '';
  const seeds = (n: number | undefined) => Math.round(n ?? 0).toLocaleString('en-US');
  return [
    `task ${r.task} on ${spec.graph} (${r.backend} backend): ${epochs} in ${r.duration_s.toFixed(1)} s${stopped}`,
    `best epoch ${r.best_epoch} of ${r.epochs}: val ${formatMetrics(r.val)}`,
    `test ${formatMetrics(r.test)} (at the best epoch)`,
    ...formatBaselines(r.test),
    ...relationLines(r.relations),
    `throughput ${seeds(r.throughput.seeds_per_s)} seeds/s in steady state, ${seeds(r.throughput.end_to_end_seeds_per_s)} seeds/s over the training epochs`,
    `run directory ${r.run_dir} (weft report ${r.run_dir} draws its curves)`,
  ];
}
