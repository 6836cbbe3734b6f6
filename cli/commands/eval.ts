// `weft eval RUN_DIR`: the validation and/or test metrics of a run's checkpoint (the best by default),
// computed by actors/inference/ with the trainer's evaluation; printed for humans or as JSON.
import { describeScored, parseCheckpointChoice } from '../../actors/inference/checkpoint-choice.js';
import type { EvalSplit } from '../../actors/inference/evaluate-run.js';
import { commandLineError, parseRunDirCommand } from '../command-line.js';
import { formatBaselines, formatMetrics, relationLines } from '../format-metrics.js';

const USAGE = `usage: weft eval RUN_DIR [options]

Loads a checkpoint of RUN_DIR (written by weft train or weft launch: in RUN_DIR/checkpoints/
or in the JetStream object store the run recorded) - by default the one of the best validation
epoch, whose numbers results.json reports - rebuilds its model from the job spec recorded
there, and evaluates it on the graph's validation and/or test split with the
training job's evaluation sampler: accuracy and macro-F1 for node classification, ROC-AUC, MRR,
hits@K and recall@K for link prediction against sampled negatives, beside the popularity and
seen-before baselines on the same pairs, and with eval.ranking exact (the run's, or --ranking)
against every candidate of the destination type as well. The first line says which checkpoint
was scored.

options:
  --split val|test|both   which split(s) (default both)
  --checkpoint C          best (default), latest, or a parameter version (120 or v000000120)
  --ranking sampled|exact rank link pairs among sampled negatives only, or also among every
                          candidate (default: the run's eval.ranking)
  --relations R,R         link task: also score these relations (src__rel__dst keys, or names
                          only one edge type has), each on its own held-out pairs with every
                          metric and both baselines (default: the run's eval.relations)
  --graph DIR             graph directory instead of the one the run trained on
  --nats URL              NATS server(s) of a run checkpointed to a JetStream object store
                          (default: the servers the run recorded in checkpoint-store.json)
  --json                  print the report as JSON
  --help                  this text`;

const SPLITS: readonly EvalSplit[] = ['val', 'test', 'both'];

function shown(m: Record<string, number>): string {
  const extra =
    m.count !== undefined ? ` (${m.count} ${m.negatives !== undefined ? 'edges' : 'nodes'})` : '';
  return [formatMetrics(m) + extra, ...formatBaselines(m)].join('\n');
}

/** Entry point of `weft eval`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseRunDirCommand(argv, 'split checkpoint ranking relations', '', USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values, runDir } = parsed;
  const split = (values.split ?? 'both') as EvalSplit;
  if (!SPLITS.includes(split))
    throw commandLineError(
      `expected val, test or both, got ${JSON.stringify(values.split)}`,
      '--split',
    );
  const ranking = values.ranking as 'sampled' | 'exact' | undefined;
  if (ranking !== undefined && ranking !== 'sampled' && ranking !== 'exact')
    throw commandLineError(
      `expected sampled or exact, got ${JSON.stringify(values.ranking)}`,
      '--ranking',
    );
  const checkpoint = parseCheckpointChoice(values.checkpoint);
  const { evaluateRun } = await import('../../actors/inference/evaluate-run.js');
  const report = await evaluateRun(runDir, {
    split,
    graph: values.graph,
    nats: values.nats,
    checkpoint,
    ranking,
    ...(values.relations !== undefined ? { relations: relationList(values.relations) } : {}),
  });
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const scored = describeScored({
    scored: report.scored,
    // The report counts epochs from 1 (0: unknown); describeScored from 0 (-1: unknown).
    epoch: report.epoch - 1,
    step: report.checkpoint_step,
    bestEpoch: report.best_epoch - 1,
    note: report.note,
  });
  console.log(`task ${report.task} on ${report.graph} (${report.backend} backend), ${scored}`);
  if (report.val) console.log(`val ${shown(report.val)}`);
  if (report.test) console.log(`test ${shown(report.test)}`);
  for (const line of relationLines(report.relations)) console.log(line);
  return 0;
}

/** --relations: comma-separated relation names; an empty list is refused naming the flag. */
function relationList(text: string): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw commandLineError('expected relation names separated by commas', '--relations');
  return names;
}
