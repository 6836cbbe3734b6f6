// `weft embed`: every node's (or one node type's) output of a run's checkpoint (by default the best
// validation's), computed in batches and streamed into the next version of DIR/<model>/
// (see embedding-format.ts).
import { backendLabel, initBackend, type BackendPreference } from '../../kernels/tf/backend.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { originalIdLookup } from '../../graph-store/id-map.js';
import { ConfigError } from '../../runtime/errors.js';
import { producerConfigs } from '../plan/task-seeds.js';
import { availableCores } from '../../runtime/pool.js';
import { runEmbedPass } from './embed-pass.js';
import { encoderOutput } from './node-encoder.js';
import type { CheckpointChoice, ScoredCheckpoint } from './checkpoint-choice.js';
import { openRunGraph, openTrainedRun, runWeights } from './trained-run.js';
import { writeEmbeddingVersion, type WrittenEmbeddings } from './embedding-writer.js';

export interface EmbedOptions {
  /** Output root: versions go to out/<model>/vNNNNNN. */
  out: string;
  /** Nodes per batch; default the run's eval.batchSize. */
  batchSize?: number;
  /** 'all' (default) or the name of one node type. */
  nodes?: string;
  /** Graph directory to use instead of the one recorded in the run. */
  graph?: string;
  /** Backend instead of the run's `runtime.backend`. */
  backend?: BackendPreference;
  /** NATS URL(s) of a JetStream-checkpointed run's store, instead of the servers it recorded. */
  nats?: string;
  /** Which checkpoint: best (default), latest, or a parameter version. */
  checkpoint?: CheckpointChoice;
  /** Threads computing batches (default: every core this process may use); 1 computes inline. */
  workers?: number;
  /** Called after each batch with rows done and rows in all. */
  onProgress?: (done: number, total: number) => void;
}

export interface EmbedResult extends WrittenEmbeddings {
  /** Whole call: checkpoint and graph loading included. */
  seconds: number;
  /** Rows per second of the sample + forward + write loop alone. */
  nodesPerSecond: number;
  /** Which checkpoint was embedded: the best validation's, the newest, or the version asked for. */
  scored: ScoredCheckpoint;
  /** The run's best validation epoch as of that checkpoint (-1 when unknown). */
  bestEpoch: number;
  /** Why the checkpoint embedded is not the one asked for, when it is not. */
  note?: string;
}

/** The id range [offset, offset + count) of `nodes` ('all' or a node type name). */
export function nodeRange(graph: SharedGraph, nodes: string): { offset: number; count: number } {
  if (nodes === 'all') return { offset: 0, count: graph.numNodes };
  const t = graph.nodeTypes.find((x) => x.name === nodes);
  if (!t) {
    const names = graph.nodeTypes.map((x) => x.name).join(', ');
    throw new ConfigError(`no node type '${nodes}'; the graph has ${names} (or use all)`, {
      file: graph.dir,
      field: '--nodes',
    });
  }
  return { offset: t.offset, count: t.count };
}

/** Computes and writes the embeddings of a run; returns the version written. */
export async function embedRun(runDir: string, opts: EmbedOptions): Promise<EmbedResult> {
  const t0 = performance.now();
  if (!opts.out) throw new ConfigError('needs an output directory', { field: '--out' });
  const run = await openTrainedRun(runDir, {
    graph: opts.graph,
    nats: opts.nats,
    checkpoint: opts.checkpoint,
  });
  const spec = run.spec;
  const batchSize = opts.batchSize ?? spec.eval.batchSize;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new ConfigError(`must be a positive integer, got ${batchSize}`, {
      field: '--batch-size',
    });
  }
  const workers = opts.workers ?? availableCores();
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new ConfigError(`must be a positive integer, got ${workers}`, { field: '--workers' });
  }
  const nodes = opts.nodes ?? 'all';
  const graph = await openRunGraph(run, opts.graph !== undefined);
  const { offset, count } = nodeRange(graph, nodes);
  const backend = await initBackend(opts.backend ?? spec.runtime.backend);
  const { dim, output } = encoderOutput(spec, graph);
  const sampler = producerConfigs(spec).eval.sampler;
  let loopSeconds = 0;
  const written = await writeEmbeddingVersion(
    opts.out,
    {
      model: spec.name,
      dim,
      dtype: 'float32',
      nodes,
      output,
      source: {
        runDir: run.runDir,
        checkpointStep: run.checkpoint.step,
        checkpointDir: run.checkpoint.dir,
        epoch: run.epoch,
        task: spec.task,
        graph: graph.dir,
      },
      sampling: {
        strategy: sampler.strategy,
        fanouts: [...sampler.fanouts],
        batchSize,
        seed: spec.train.seed,
        ...(sampler.strategy === 'temporal' ? { queryTime: 'latest' as const } : {}),
      },
      backend: backendLabel(backend),
    },
    async (sink) => {
      // At most a few batches of rows alive at a time: memory stays O(workers × batch × dim).
      const tLoop = performance.now();
      await runEmbedPass(
        {
          spec,
          graph,
          weights: runWeights(run),
          backend: backend.name,
          plan: { offset, count, batchSize },
          workers,
          onProgress: opts.onProgress,
        },
        sink,
      );
      loopSeconds = (performance.now() - tLoop) / 1000;
    },
    originalIdLookup(graph.dir, graph.manifest),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    ...written,
    seconds,
    nodesPerSecond: loopSeconds > 0 ? count / loopSeconds : 0,
    scored: run.scored,
    bestEpoch: run.bestEpoch,
    ...(run.note ? { note: run.note } : {}),
  };
}
