// `weft embed RUN_DIR --out DIR`: node embeddings of a run's checkpoint (the best by default), written
// as the next version of DIR/<model>/ with a manifest; actors/inference/ does the work.
import { describeScored, parseCheckpointChoice } from '../../actors/inference/checkpoint-choice.js';
import { intFlag, parseRunDirCommand, required } from '../command-line.js';

const USAGE = `usage: weft embed RUN_DIR --out DIR [options]

Computes the trained model's output for every node (or every node of one type) of the graph,
sampling each batch's neighbourhood like evaluation does, and writes it as the next version
DIR/<model>/vNNNNNN/ (embeddings.f32, ids.i32, manifest.json); DIR/<model>/LATEST then names it.
<model> is the job's name. Rows are class logits for node-classification runs and the final
hidden layer for link-prediction runs. The checkpoint is by default the one of the best validation
epoch (whose numbers results.json reports); the summary line says which. See docs/inference.md.

options:
  --out DIR              output root (required)
  --checkpoint C         best (default), latest, or a parameter version (120 or v000000120)
  --batch-size B         nodes per batch (default the run's eval.batchSize)
  --workers N            threads computing batches: the main thread and N-1 worker threads,
                         each with its own copy of the model (default: every available core).
                         The output is byte-identical whatever N.
  --nodes all|TYPE       every node, or one node type's nodes (default all)
  --graph DIR            graph directory instead of the one the run trained on
  --nats URL             NATS server(s) of a run checkpointed to a JetStream object store
                         (default: the servers the run recorded in checkpoint-store.json)
  --json                 print the manifest of the version written as JSON
  --quiet                no progress line
  --help                 this text`;

/** Entry point of `weft embed`; prints the version directory written. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseRunDirCommand(
    argv,
    'out batch-size workers nodes checkpoint',
    'quiet',
    USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, runDir } = parsed;
  const out = required(values.out, '--out');
  const batchSize = intFlag(values['batch-size'], '--batch-size', 1);
  const workers = intFlag(values.workers, '--workers', 1);
  const checkpoint = parseCheckpointChoice(values.checkpoint);
  const tty = process.stderr.isTTY && !values.quiet && !values.json;
  let lastDrawMs = 0;
  const { embedRun } = await import('../../actors/inference/embed-run.js');
  const result = await embedRun(runDir, {
    out,
    batchSize,
    workers,
    nodes: values.nodes,
    graph: values.graph,
    nats: values.nats,
    checkpoint,
    onProgress: tty
      ? (done, total) => {
          const now = performance.now();
          if (now - lastDrawMs < 200 && done < total) return;
          lastDrawMs = now;
          const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
          process.stderr.write(
            `\rembedding ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} nodes (${pct}%)\x1b[K`,
          );
        }
      : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (values.json) {
    console.log(JSON.stringify({ dir: result.dir, ...result.manifest }, null, 2));
    return 0;
  }
  const m = result.manifest;
  const scored = describeScored({
    scored: result.scored,
    epoch: m.source.epoch,
    step: m.source.checkpointStep,
    bestEpoch: result.bestEpoch,
    note: result.note,
  });
  console.log(
    `wrote ${result.dir}: ${m.count.toLocaleString('en-US')} nodes x ${m.dim} (${m.output}) from the ${scored}, ${Math.round(result.nodesPerSecond).toLocaleString('en-US')} nodes/s`,
  );
  return 0;
}
