// Where a job's checkpoints live, behind one small interface: a directory on a shared path (the
// on-disk layout of checkpoint.ts) or a JetStream object store; the coordinator only sees this.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { JobSpec } from '../job-spec.js';
import { jetStreamCheckpointStore } from './jetstream-checkpoint-store.js';
import {
  bestCheckpoint,
  latestCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  versionDirName,
  type Checkpoint,
} from './checkpoint.js';

export type CheckpointStoreKind = 'path' | 'jetstream';

/**
 * A checkpoint store: `save` makes one version visible only once all of it is written (a crash
 * mid-save leaves the previous version the newest); `location` strings name a version for `read`.
 */
export interface CheckpointStore {
  readonly kind: CheckpointStoreKind;
  /** Where the checkpoints are, for messages: a directory or `jetstream://<bucket>`. */
  readonly where: string;
  /**
   * Writes one consistent version (parameters and optimizer slots) and returns its location; `best`:
   * it is the best validation so far, recorded as such and kept whatever the pruning.
   */
  save(
    step: number,
    tensors: Map<string, Float32Array>,
    meta: Record<string, unknown>,
    opts?: { best?: boolean },
  ): Promise<string>;
  /** Reads and verifies the version at `location` (as `save` returned it). */
  read(location: string): Promise<Checkpoint>;
  /** The location of version `step` (what `save` returned for it), for `read`. */
  locationOf(step: number): string;
  /** The newest complete, verified version, or undefined when there is none. */
  latest(): Promise<Checkpoint | undefined>;
  /** The version saved as the best validation, or undefined when none was. */
  best(): Promise<Checkpoint | undefined>;
  /** Releases the store's connection (a no-op for a directory). */
  close(): Promise<void>;
}

/** Checkpoints as version directories under `root` (checkpoint.ts); `keep` newest versions kept. */
export function pathCheckpointStore(root: string, keep = 3): CheckpointStore {
  return {
    kind: 'path',
    where: root,
    save: (step, tensors, meta, opts) => saveCheckpoint(root, step, tensors, meta, keep, opts),
    read: async (location) => readCheckpoint(location),
    locationOf: (step) => join(root, versionDirName(step)),
    latest: async () => (existsSync(root) ? latestCheckpoint(root) : undefined),
    best: async () => (existsSync(root) ? bestCheckpoint(root) : undefined),
    close: async () => undefined,
  };
}

/** The object-store bucket of a job: `train.checkpointBucket`, else `weft-ckpt-<job>`. */
export function checkpointBucketOf(spec: JobSpec, job: string): string {
  const name = spec.train.checkpointBucket || `weft-ckpt-${job}`;
  // Bucket names become stream names: letters, digits, dash and underscore only.
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}

/**
 * The store a job's spec asks for: the run's `checkpoints/` directory, or the JetStream object-store
 * bucket reached through `nats` (connected on first use, created when missing).
 */
export function checkpointStoreOf(
  spec: JobSpec,
  where: { ckptDir: string; job: string; nats?: NatsConfig },
): CheckpointStore {
  if (spec.train.checkpointStore === 'path') return pathCheckpointStore(where.ckptDir);
  if (!where.nats)
    throw new ConfigError(
      'a JetStream checkpoint store needs a NATS connection (weft launch or weft actor)',
      { field: 'train.checkpointStore' },
    );
  return jetStreamCheckpointStore(where.nats, checkpointBucketOf(spec, where.job));
}

/**
 * The newest checkpoint to resume from (a ConfigError naming the store when there is none); closes
 * the store's connection afterwards, so a job that fails before its next save leaves none open.
 */
export async function resumeCheckpoint(store: CheckpointStore): Promise<Checkpoint> {
  const ckpt = await store.latest().finally(() => store.close());
  if (!ckpt)
    throw new ConfigError(`nothing to resume: no checkpoint in ${store.where}`, {
      field: 'resume',
    });
  return ckpt;
}
