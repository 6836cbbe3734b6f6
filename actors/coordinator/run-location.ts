// Where a run lives on disk (RUN_DIR, its checkpoints and metrics.jsonl), and which checkpoint a
// start continues from: its own job's newest (resume), none (fresh), or a refusal (another job's).
import { join, resolve } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { existsSync, readFileSync } from 'node:fs';
import { readFormatManifest } from '../../runtime/format-manifest.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointManifest,
} from '../parameter-server/checkpoint.js';
import type { CheckpointStore } from '../parameter-server/checkpoint-store.js';
import { identityDifferences, jobIdentityOf, sameJob } from './job-identity.js';
import { upgradeSavedSpec } from '../saved-spec.js';

/**
 * How a job starts: 'auto' resumes its own job's checkpoints when the store has them (so a
 * restarted coordinator continues) and starts fresh otherwise; 'resume' requires a checkpoint;
 * 'fresh' starts over, keeping the old checkpoints aside.
 */
export type StartMode = 'auto' | 'resume' | 'fresh';

/** Where a run lives. */
export function runLocation(spec: JobSpec): {
  runDir: string;
  ckptDir: string;
  metricsPath: string;
} {
  const runDir = resolve(spec.out || join('runs', spec.name));
  return {
    runDir,
    ckptDir: join(runDir, 'checkpoints'),
    metricsPath: join(runDir, 'metrics.jsonl'),
  };
}

/**
 * The checkpoint a start of `spec` continues from, or undefined for a fresh start. Another job's
 * checkpoints (another name, or a spec that changes the model: job-identity.ts) are refused,
 * naming the fields that differ, unless the start is 'fresh'. Closes the store's connection
 * afterwards, so a job that fails before its next save leaves none open.
 */
export async function startCheckpoint(
  store: CheckpointStore,
  spec: JobSpec,
  mode: StartMode,
): Promise<Checkpoint | undefined> {
  if (mode === 'fresh') return undefined;
  const latest = await store.latest().finally(() => store.close());
  if (!latest) {
    if (mode === 'resume')
      throw new ConfigError(`nothing to resume: no checkpoint in ${store.where}`, {
        field: 'resume',
      });
    return undefined;
  }
  refuseOtherJob(spec, latest.meta.spec as JobSpec | undefined, store.where);
  return latest;
}

/**
 * Refuses (a ConfigError naming the differing fields) when the newest checkpoint under `ckptDir` is
 * another job's; reads its manifest only. For a launcher, before it writes anything in RUN_DIR.
 */
export function refuseOtherJobIn(spec: JobSpec, ckptDir: string): void {
  const pointer = join(ckptDir, 'LATEST');
  if (!existsSync(pointer)) return;
  const manifest = readFormatManifest<CheckpointManifest>(
    join(ckptDir, readFileSync(pointer, 'utf8').trim(), 'manifest.json'),
    'checkpoint',
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
  );
  refuseOtherJob(spec, manifest.meta.spec as JobSpec | undefined, ckptDir);
}

function refuseOtherJob(spec: JobSpec, theirs: JobSpec | undefined, where: string): void {
  theirs = theirs && upgradeSavedSpec(theirs);
  if (sameJob(spec, theirs)) return;
  const mine = jobIdentityOf(spec);
  const what = theirs
    ? `job ${JSON.stringify(theirs.name)} (spec ${jobIdentityOf(theirs).specHash}), differing in ${identityDifferences(theirs, spec).join(', ')}`
    : 'a job that did not record its spec';
  throw new ConfigError(
    `${where} holds the checkpoints of ${what}; this is job ${JSON.stringify(mine.name)} (spec ${mine.specHash}). Start over with --fresh (the old checkpoints are kept aside) or choose another run directory`,
    { field: 'out' },
  );
}
