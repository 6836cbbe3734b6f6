// Trained model outputs for arbitrary nodes: samples each batch's neighbourhood inline with the job's
// evaluation sampler settings and runs the forward pass without dropout.
import { typeColumnsOf } from '../../graph-store/type-columns.js';
import { IdTableHost } from '../parameter-server/id-table-host.js';
import { idTableConfigOf } from '../parameter-server/id-table-spec.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { GraphSage } from '../../kernels/nn/graphsage.js';
import { WeftError } from '../../runtime/errors.js';
import { batchSeed } from '../plan/epoch-plan.js';
import { producerConfigs } from '../plan/task-seeds.js';
import type { JobSpec } from '../job-spec.js';
import { allocateArrays, type BatchFields } from '../batch/batch-record.js';
import { BatchProducer, type BatchRequest } from '../batch/batch-producer.js';
import { viewBatch } from '../batch/batch-view.js';
import { buildModel } from '../trainer/trainer-core.js';
import { setRunParams, type RunWeights } from './trained-run.js';

/**
 * Epoch number that keys embedding batches' sampling seeds, apart from training epochs and from
 * evaluation (1_000_000 + split), so embeddings never reuse a training batch's neighbourhood draw.
 */
export const EMBED_EPOCH = 2_000_000;

/** What the encoder's rows are, and their width, without building the model. */
export function encoderOutput(
  spec: JobSpec,
  graph: SharedGraph,
): { dim: number; output: 'logits' | 'hidden' } {
  return spec.task === 'node'
    ? { dim: Math.max(1, graph.numClasses), output: 'logits' }
    : { dim: spec.model.hidden, output: 'hidden' };
}

export class NodeEncoder {
  readonly model: GraphSage;
  /** Values per output row: classes (node task) or hidden width (link task). */
  readonly dim: number;
  readonly output: 'logits' | 'hidden';
  readonly producer: BatchProducer;
  /** Temporal sampling needs a query time per seed: +infinity, so every stored edge is visible. */
  private readonly temporal: boolean;
  private times = new Float64Array(0);
  /** ID embeddings: the checkpoint's table (ids it never saw get their initial rows). */
  private readonly idTable: IdTableHost | undefined;

  constructor(
    readonly spec: JobSpec,
    readonly graph: SharedGraph,
    run: RunWeights,
  ) {
    const numClasses = Math.max(1, graph.numClasses);
    this.model = buildModel(
      spec,
      graph.dim,
      numClasses,
      Math.max(1, graph.edgeTypes.length),
      typeColumnsOf(graph.manifest),
    );
    setRunParams(this.model, run);
    const table = idTableConfigOf(spec, numClasses);
    this.idTable = table ? new IdTableHost(table) : undefined;
    this.idTable?.restore(run.checkpoint.tensors);
    ({ dim: this.dim, output: this.output } = encoderOutput(spec, graph));
    const config = producerConfigs(spec).eval;
    this.producer = new BatchProducer(graph, { ...config, numNegatives: 0 });
    this.temporal = config.sampler.strategy === 'temporal';
  }

  /**
   * Rows [ids.length × dim] for distinct node ids, computed as batch `batch` of the embedding pass
   * (its index keys the sampling seed, so the same ids in the same batch give the same rows).
   */
  encode(ids: Int32Array, batch: number): Float32Array {
    const n = ids.length;
    const req: BatchRequest = {
      kind: 'encode',
      epoch: EMBED_EPOCH,
      batch,
      batchSeed: batchSeed(this.spec.train.seed, EMBED_EPOCH, batch),
      seeds: ids,
    };
    if (this.temporal) {
      if (this.times.length < n) this.times = new Float64Array(n).fill(Infinity);
      req.times = this.times.subarray(0, n);
    }
    const view = viewBatch(
      this.producer.produce(req, (shape) => allocateArrays<BatchFields>(shape)),
    );
    // Rows come back in seed order; a repeated id would be merged by the sampler and shift them.
    if (view.numSeeds !== n) {
      throw new WeftError(
        'embeddings',
        `batch ${batch}: ${n} ids gave ${view.numSeeds} rows (repeated ids?)`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (view.seeds[i] !== ids[i]) {
        throw new WeftError(
          'embeddings',
          `batch ${batch}: row ${i} is node ${view.seeds[i]}, expected ${ids[i]}`,
        );
      }
    }
    const rowIds = this.idTable && this.model.idRowIds(view.model, view.seeds);
    return this.model.embed(view.model, rowIds && this.idTable!.pullRows(rowIds, false));
  }

  dispose(): void {
    this.model.dispose();
  }
}
