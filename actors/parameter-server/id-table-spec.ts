// The ID-embedding table a job spec asks for (model.idEmbedding), derived once so the trainer's model
// and every parameter-server shard agree on its width, optimizer, learning rate and initial rows.
import { featurelessReadsIds, usesIdTable, type JobSpec } from '../job-spec.js';
import type { SparseOptimizerKind, SparseTableConfig } from './sparse-table.js';

/** Checkpoint tensor prefix of the table (`idEmbedding.table.rows`, `.ids`, `.steps`, `.rows#slot`). */
export const ID_TABLE_PREFIX = 'idEmbedding.table';

/** The model's output width: classes for node classification, the embedding width for links. */
export function modelOutDim(spec: JobSpec, numClasses: number): number {
  return spec.task === 'node' ? Math.max(1, numClasses) : spec.model.hidden;
}

/**
 * The table's configuration, or undefined when the job has no ID embeddings. Featureless types that
 * read ID rows make it model.hidden wide (the seeds' rows then reach the output through a projection
 * where the output width differs).
 */
export function idTableConfigOf(spec: JobSpec, numClasses: number): SparseTableConfig | undefined {
  if (!usesIdTable(spec)) return undefined;
  const c = spec.model.idEmbedding;
  const width = featurelessReadsIds(spec) ? spec.model.hidden : c.dim;
  return {
    dim: width > 0 ? width : modelOutDim(spec, numClasses),
    optimizer: c.optimizer,
    lr: c.lr,
    seed: spec.train.seed,
    initScale: c.initScale,
  };
}

/** The `idTable` field of a parameter server's init message: present only when the job has a table. */
export function idTableOf(
  spec: JobSpec,
  numClasses: number,
): { idTable?: SparseTableConfig & { optimizer: SparseOptimizerKind } } {
  const c = idTableConfigOf(spec, numClasses);
  return c ? { idTable: c } : {};
}
