// Where a run's checkpoints live, recorded as RUN_DIR/checkpoint-store.json when the job starts, so
// `weft eval` and `weft embed` find a JetStream bucket (and its NATS servers) as well as a directory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { InputError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { JobSpec } from '../job-spec.js';
import { checkpointBucketOf, type CheckpointStoreKind } from './checkpoint-store.js';

export const CHECKPOINT_LOCATOR_FILE = 'checkpoint-store.json';

/** A run's checkpoint store as readers need it; no credentials are recorded. */
export interface CheckpointLocator {
  store: CheckpointStoreKind;
  /** The store's `where`: the checkpoints directory, or `jetstream://<bucket>`. */
  where: string;
  /** JetStream: the object-store bucket. */
  bucket?: string;
  /** JetStream: the NATS servers the job wrote through (URLs only). */
  nats?: string[];
}

/** The locator of the store `checkpointStoreOf` opens for the same arguments. */
export function checkpointLocatorOf(
  spec: JobSpec,
  where: { ckptDir: string; job: string; nats?: NatsConfig },
): CheckpointLocator {
  if (spec.train.checkpointStore === 'path') return { store: 'path', where: where.ckptDir };
  const bucket = checkpointBucketOf(spec, where.job);
  const servers = where.nats?.servers;
  return {
    store: 'jetstream',
    where: `jetstream://${bucket}`,
    bucket,
    nats: servers === undefined ? [] : Array.isArray(servers) ? [...servers] : [servers],
  };
}

export function writeCheckpointLocator(runDir: string, locator: CheckpointLocator): void {
  writeFileAtomic(join(runDir, CHECKPOINT_LOCATOR_FILE), `${JSON.stringify(locator, null, 2)}\n`);
}

/**
 * The run's recorded store: RUN_DIR/checkpoint-store.json, else results.json's `checkpoint_store`;
 * undefined when neither says (a run of `weft train`: RUN_DIR/checkpoints/).
 */
export function readCheckpointLocator(runDir: string): CheckpointLocator | undefined {
  const file = join(runDir, CHECKPOINT_LOCATOR_FILE);
  if (existsSync(file)) return parseLocator(readJson(file), file);
  const results = join(runDir, 'results.json');
  if (!existsSync(results)) return undefined;
  const recorded = (readJson(results) as { checkpoint_store?: unknown }).checkpoint_store;
  return recorded === undefined ? undefined : parseLocator(recorded, results);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read: ${(error as Error).message}`, { file }, { cause: error });
  }
}

function parseLocator(v: unknown, file: string): CheckpointLocator {
  const o = v as Partial<CheckpointLocator> | null;
  if (!o || (o.store !== 'path' && o.store !== 'jetstream') || typeof o.where !== 'string')
    throw new InputError('not a checkpoint store record (store path|jetstream, where)', {
      file,
      field: 'store',
    });
  if (o.store === 'jetstream' && (typeof o.bucket !== 'string' || !Array.isArray(o.nats)))
    throw new InputError('a jetstream checkpoint store record needs bucket and nats', {
      file,
      field: 'bucket',
    });
  return { store: o.store, where: o.where, bucket: o.bucket, nats: o.nats };
}
