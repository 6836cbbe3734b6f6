// Checkpoints: one directory per version holding a manifest and one raw little-endian file per
// tensor and optimizer slot, written under a temporary name and renamed; LATEST points at the newest,
// BEST at the version of the best validation (never pruned).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checksumArray } from '../../graph-store/checksum.js';
import { writeDirAtomic, writeFileAtomic } from '../../runtime/atomic-write.js';
import { InputError } from '../../runtime/errors.js';
import { readFormatManifest } from '../../runtime/format-manifest.js';

export const CHECKPOINT_FORMAT = 'weft-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointTensor {
  name: string;
  file: string;
  length: number;
  checksum: string;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** Parameter version (number of updates applied). */
  step: number;
  tensors: CheckpointTensor[];
  /** Anything else the job needs to continue: epoch, coordinator state, optimizer step count. */
  meta: Record<string, unknown>;
  createdAt: string;
}

export interface Checkpoint {
  step: number;
  tensors: Map<string, Float32Array>;
  meta: Record<string, unknown>;
  dir: string;
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');
export const versionDirName = (step: number) => `v${String(step).padStart(9, '0')}`;

/**
 * Writes `tensors` (parameters and optimizer slots, e.g. `layer0.w` and `layer0.w.adam_m`) as a new
 * checkpoint version and moves LATEST to it (and BEST, for the best validation so far); keeps the
 * newest `keep` versions and the best one.
 */
export async function saveCheckpoint(
  root: string,
  step: number,
  tensors: Map<string, Float32Array>,
  meta: Record<string, unknown>,
  keep = 3,
  opts: { best?: boolean } = {},
): Promise<string> {
  const dirName = versionDirName(step);
  const dir = join(root, dirName);
  await writeDirAtomic(
    dir,
    (tmp) => {
      const entries: CheckpointTensor[] = [];
      for (const [name, data] of tensors) {
        const file = `${safeName(name)}.f32`;
        writeFileAtomic(join(tmp, file), data);
        entries.push({ name, file, length: data.length, checksum: checksumArray(data) });
      }
      const manifest: CheckpointManifest = {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        step,
        tensors: entries,
        meta,
        createdAt: new Date().toISOString(),
      };
      writeFileAtomic(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    },
    { replace: true },
  );
  writeFileAtomic(join(root, 'LATEST'), `${dirName}\n`);
  if (opts.best) writeFileAtomic(join(root, BEST_FILE), `${dirName}\n`);
  const best = pointedAt(root, BEST_FILE);
  const versions = readdirSync(root)
    .filter((d) => /^v\d{9}$/.test(d))
    .sort();
  for (const old of versions.slice(0, Math.max(0, versions.length - keep))) {
    if (old !== dirName && old !== best) rmSync(join(root, old), { recursive: true, force: true });
  }
  return dir;
}

/** The pointer file naming the version of the best validation. */
export const BEST_FILE = 'BEST';

/** The version directory a pointer file (LATEST, BEST) names, or undefined without one. */
function pointedAt(root: string, pointer: string): string | undefined {
  const file = join(root, pointer);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Reads one checkpoint directory, verifying every file's length and checksum. */
export function readCheckpoint(dir: string): Checkpoint {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = readFormatManifest<CheckpointManifest>(
    manifestPath,
    'checkpoint',
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
  );
  const tensors = new Map<string, Float32Array>();
  for (const t of manifest.tensors) {
    const path = join(dir, t.file);
    if (!existsSync(path)) throw new InputError('checkpoint file missing', { file: path });
    const buf = readFileSync(path);
    if (buf.byteLength !== t.length * 4) {
      throw new InputError(`expected ${t.length * 4} bytes, found ${buf.byteLength} (truncated?)`, {
        file: path,
      });
    }
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(buf);
    if (checksumArray(data) !== t.checksum)
      throw new InputError('checksum mismatch (corrupted file)', { file: path });
    tensors.set(t.name, data);
  }
  return { step: manifest.step, tensors, meta: manifest.meta, dir };
}

/** The newest complete checkpoint under `root`, or undefined when there is none. */
export function latestCheckpoint(root: string): Checkpoint | undefined {
  const name = pointedAt(root, 'LATEST');
  return name === undefined ? undefined : readCheckpoint(join(root, name));
}

/** The checkpoint of the best validation under `root` (BEST), or undefined when none was recorded. */
export function bestCheckpoint(root: string): Checkpoint | undefined {
  const name = pointedAt(root, BEST_FILE);
  return name === undefined ? undefined : readCheckpoint(join(root, name));
}
