// Which trainer trains which batch of an epoch, and which sampler samples it. A synchronous round
// covers trainers × localSteps consecutive batches of the epoch plan; trainer t takes its N in a row.

export interface RoundSchedule {
  readonly numBatches: number;
  readonly trainers: number;
  /** Batches each trainer aggregates locally before it pushes (LiGNN's N). */
  readonly localSteps: number;
  readonly numRounds: number;
}

export function roundSchedule(
  numBatches: number,
  trainers: number,
  localSteps: number,
): RoundSchedule {
  const perRound = trainers * localSteps;
  return { numBatches, trainers, localSteps, numRounds: Math.ceil(numBatches / perRound) };
}

/**
 * The batches trainer `t` trains in round `r` (possibly none in the epoch's last round). In the order
 * of the single-process run: batch b of round r is the same batch a lone trainer with localSteps =
 * trainers × N would aggregate into the same update.
 */
export function batchesOf(s: RoundSchedule, trainer: number, round: number): number[] {
  const first = round * s.trainers * s.localSteps + trainer * s.localSteps;
  const out: number[] = [];
  for (let k = 0; k < s.localSteps && first + k < s.numBatches; k++) out.push(first + k);
  return out;
}

/** The sampler that produces batch `b` (round-robin, so every sampler works in every round). */
export function samplerOf(batch: number, samplers: number): number {
  return batch % samplers;
}

/** How a distributed job syncs parameters (`train.sync`): see docs/distributed.md. */
export type SyncMode = 'aggregate' | 'local-sgd' | 'async';

/** Rounds of the epoch in which trainer `t` has at least one batch (its first rounds, in a row). */
export function roundsWithBatches(s: RoundSchedule, trainer: number): number {
  const first = trainer * s.localSteps;
  if (first >= s.numBatches) return 0;
  return Math.ceil((s.numBatches - first) / (s.trainers * s.localSteps));
}

/**
 * Versions the shards advance over one epoch: one per synchronous round, or in async mode one per
 * update (every trainer pushes once per round it has batches in; empty rounds push nothing).
 */
export function versionsPerEpoch(s: RoundSchedule, mode: SyncMode): number {
  if (mode !== 'async') return s.numRounds;
  let n = 0;
  for (let t = 0; t < s.trainers; t++) n += roundsWithBatches(s, t);
  return n;
}
