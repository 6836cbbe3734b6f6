// How many evaluation pairs come from sources training never saw: on user–item data most held-out
// interactions are from new users, whose ID rows are untrained, and a job with ID embeddings on is
// told so before it trains rather than after it fails to learn.
import type { JobSpec } from '../job-spec.js';
import type { SeedSource } from './seed-source.js';

/** Above this share of cold evaluation sources, a job with ID embeddings is warned at start. */
export const COLD_SHARE_WARNING = 0.5;

/** Share of the `held` edges whose source has no edge among `train` (0 when none are held out). */
export function coldSourceShare(
  source: Extract<SeedSource, { kind: 'link' }>,
  train: Int32Array,
  held: Int32Array,
): number {
  if (held.length === 0) return 0;
  const warm = new Set<number>();
  for (let k = 0; k < train.length; k++) warm.add(source.src[train[k]]);
  let cold = 0;
  for (let k = 0; k < held.length; k++) if (!warm.has(source.src[held[k]])) cold++;
  return cold / held.length;
}

/**
 * The warning for a link job with ID embeddings whose validation and test sources are mostly
 * absent from training, or undefined when there is nothing to say.
 */
export function coldStartWarning(
  spec: JobSpec,
  seeds: { source: SeedSource; train: Int32Array; val: Int32Array; test: Int32Array },
): string | undefined {
  if (spec.task !== 'link' || !spec.model.idEmbedding.enabled || seeds.source.kind !== 'link')
    return undefined;
  const held = new Int32Array(seeds.val.length + seeds.test.length);
  held.set(seeds.val);
  held.set(seeds.test, seeds.val.length);
  const share = coldSourceShare(seeds.source, seeds.train, held);
  if (share < COLD_SHARE_WARNING) return undefined;
  const advice = [
    spec.model.idEmbedding.rowDropout === 0 ? 'model.idEmbedding.rowDropout 0.2-0.5' : '',
    spec.model.structuralFeatures ? '' : 'model.structuralFeatures',
  ].filter(Boolean);
  return (
    `${(100 * share).toFixed(0)} % of validation and test pairs come from sources with no training edges: ` +
    'model.idEmbedding has nothing learned for them (they read the unseen row, zeros), so the GNN alone must score them' +
    (advice.length ? `; consider ${advice.join(' and ')}` : '')
  );
}
