// `weft train [job.yaml] [flags]`: resolves the job spec (file, then flags), runs the training job on
// this machine's embedded transport with a progress line, and prints the summary.
import { join, resolve } from 'node:path';
import { type Progress } from '../../actors/coordinator/run-results.js';
import {
  applyOverrides,
  defaultJobSpec,
  loadJobSpec,
  type JobSpec,
} from '../../actors/job-spec.js';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import {
  addSetOverrides,
  commandLineError,
  parseJobCommand,
  specOverrides,
} from '../command-line.js';
import { formatMetrics } from '../format-metrics.js';

const USAGE = `usage: weft train [job.yaml] [options]

Trains a GNN (GraphSAGE, GAT or R-GCN) with sampler, trainer and parameter-server actors on this machine.
Writes RUN_DIR/results.json, RUN_DIR/metrics.jsonl and RUN_DIR/checkpoints/.

options (override the job spec):
  --graph DIR           graph directory (weft graph build / synth)
  --task node|link      node classification or link prediction
  --encoder sage|gat|rgcn  message-passing layers (docs/encoders.md)
  --layers N            encoder layers
  --hidden H            hidden width
  --fanouts 15,10       neighbours per hop
  --batch-size B        seeds per batch
  --epochs N            epochs
  --lr X                learning rate
  --seed S              seed of every random choice
  --out RUN_DIR         run directory (default runs/<name>)
  --set field=value     any job-spec field, e.g. --set train.optimizer=adamw (repeatable)
  --resume RUN_DIR      continue a run from its newest checkpoint
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

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

function progressLine(p: Progress): string {
  const frac = p.steps > 0 ? p.step / p.steps : 0;
  const width = 20;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const remainingSteps = p.steps - p.step + (p.epochs - p.epoch - 1) * p.steps;
  const eta = p.step > 0 ? (remainingSteps * p.elapsedS) / p.step : NaN;
  return `epoch ${p.epoch + 1}/${p.epochs} [${bar}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ${Math.round(p.seedsPerSecond).toLocaleString('en-US')} seeds/s ETA ${formatEta(eta)}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseJobCommand(
    argv,
    'graph task encoder layers hidden fanouts batch-size epochs lr seed resume',
    'quiet',
    USAGE,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw commandLineError(`expected at most one job spec, got ${positionals.join(' ')}`);

  let spec: JobSpec;
  if (values.resume) {
    const ckpt = latestCheckpoint(join(resolve(values.resume), 'checkpoints'));
    if (!ckpt)
      throw commandLineError(
        `no checkpoint to resume under ${values.resume}/checkpoints`,
        '--resume',
      );
    spec = ckpt.meta.spec as JobSpec;
    spec.out = resolve(values.resume);
  } else {
    spec = positionals[0] ? loadJobSpec(positionals[0]) : defaultJobSpec();
  }
  const overrides = specOverrides(values, FLAG_FIELDS);
  if (values.resume) {
    // A resumed run reproduces the original exactly; only its length may change.
    const changed = Object.keys(overrides).filter((f) => f !== 'train.epochs');
    if (changed.length > 0 || (values.set ?? []).length > 0)
      throw commandLineError(
        `--resume continues a run with its own job spec; only --epochs may change (got ${[...changed, ...(values.set ?? [])].join(', ')})`,
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
  spec = applyOverrides(spec, overrides);

  const tty = process.stderr.isTTY && !values.quiet && !values.json;
  // Loaded here, not at the top: TensorFlow.js and the actors are not needed for --help or a bad flag.
  const { runTraining } = await import('../../actors/coordinator/train-job.js');
  const results = await runTraining(spec, {
    resume: Boolean(values.resume),
    onProgress: tty ? (p) => process.stderr.write(`\r${progressLine(p)}\x1b[K`) : undefined,
    onEpoch:
      values.quiet || values.json
        ? undefined
        : (e) => {
            const val = e.val ? ' ' + formatMetrics(e.val, ' ', 'val.') : '';
            process.stderr.write(
              `${tty ? '\r\x1b[K' : ''}epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, ${Math.round(e.seedsPerSecond).toLocaleString('en-US')} seeds/s, ${e.seconds.toFixed(1)} s${val}\n`,
            );
          },
  });
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
    return 0;
  }
  console.log(
    `task ${results.task} on ${spec.graph} (${results.backend} backend), ${results.epochs} epochs in ${results.duration_s.toFixed(1)} s`,
  );
  console.log(`best epoch ${results.best_epoch + 1}: val ${formatMetrics(results.val)}`);
  console.log(`test ${formatMetrics(results.test)}`);
  console.log(
    `throughput ${Math.round(results.throughput.seeds_per_s).toLocaleString('en-US')} seeds/s in steady state, ${Math.round(results.throughput.end_to_end_seeds_per_s ?? 0).toLocaleString('en-US')} seeds/s over the training epochs; run directory ${results.run_dir}`,
  );
  return 0;
}
