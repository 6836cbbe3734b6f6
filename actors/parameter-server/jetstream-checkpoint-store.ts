// Checkpoints in a JetStream object store: each version's tensors as objects (chunked by the store),
// committed by writing its manifest object last; readers trust only manifests whose objects verify.
// A BEST object names the version of the best validation, which pruning keeps.
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { checksumArray } from '../../graph-store/checksum.js';
import { ConfigError, InputError, WeftError } from '../../runtime/errors.js';
import { connectNats, type NatsConfig } from '../../runtime/nats-connect.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  versionDirName,
  type Checkpoint,
  type CheckpointTensor,
} from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** A version's tensor as an object: the store's SHA-256 digest is recorded to catch replaced objects. */
export interface ObjectCheckpointTensor extends CheckpointTensor {
  /** The object store's digest of the object ('SHA-256=...'). */
  digest: string;
}

/** The manifest object of one version; its presence commits the version. */
export interface ObjectCheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  step: number;
  tensors: ObjectCheckpointTensor[];
  meta: Record<string, unknown>;
  createdAt: string;
}

/** A version whose objects are written but whose manifest is not (yet): invisible to readers. */
export interface StagedVersion {
  step: number;
  tensors: ObjectCheckpointTensor[];
}

/** The object store failed or refused (not enabled, unreachable): `bucket` says which. */
export class CheckpointStoreError extends WeftError {
  constructor(
    readonly bucket: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('checkpoint-store', `checkpoint bucket ${bucket}: ${message}`, options);
  }
}

const MANIFEST = 'manifest.json';
/** `{ "step": N }`: the version saved as the best validation. */
const BEST = 'BEST';
const VERSION_RE = /^(v\d{9})\/(.+)$/;
/** Chunks of 1 MiB: far below an 8 MiB max_payload, few enough messages per tensor. */
const CHUNK_BYTES = 1024 * 1024;
const safeName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A checkpoint store over one JetStream object-store bucket (single writer: the coordinator). */
export class JetStreamCheckpointStore implements CheckpointStore {
  readonly kind = 'jetstream' as const;
  readonly where: string;

  private constructor(
    private readonly os: ObjectStore,
    readonly bucket: string,
    private readonly keep: number,
    private readonly owned: NatsConnection | undefined,
  ) {
    this.where = `jetstream://${bucket}`;
  }

  /**
   * Opens (creating when missing) `bucket` on the connection `nc`; `owned` connections are drained
   * by `close`. Keeps the newest `keep` committed versions.
   */
  static async open(
    nc: NatsConnection,
    bucket: string,
    options: { keep?: number; replicas?: number; ownsConnection?: boolean } = {},
  ): Promise<JetStreamCheckpointStore> {
    let os: ObjectStore;
    try {
      os = await new Objm(nc).create(bucket, {
        storage: StorageType.File,
        replicas: options.replicas ?? 1,
        description: 'weft checkpoints',
      });
    } catch (error) {
      if (options.ownsConnection) await nc.close().catch(() => undefined);
      throw new CheckpointStoreError(
        bucket,
        `cannot open the object store (is JetStream enabled on the server?): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new JetStreamCheckpointStore(
      os,
      bucket,
      options.keep ?? 3,
      options.ownsConnection ? nc : undefined,
    );
  }

  /** `jetstream://<bucket>/v000000123`: what `save` returns and `read` takes. */
  locationOf(step: number): string {
    return `${this.where}/${versionDirName(step)}`;
  }

  async save(
    step: number,
    tensors: Map<string, Float32Array>,
    meta: Record<string, unknown>,
    opts: { best?: boolean } = {},
  ): Promise<string> {
    const staged = await this.writeObjects(step, tensors);
    return this.commit(staged, meta, opts);
  }

  /**
   * First half of a save: withdraws any earlier manifest of this step (a replayed epoch re-saves its
   * version), then writes every tensor as an object. Nothing is visible until `commit`.
   */
  async writeObjects(step: number, tensors: Map<string, Float32Array>): Promise<StagedVersion> {
    const prefix = versionDirName(step);
    await this.guard(`withdraw ${prefix}`, () => this.deleteIfPresent(`${prefix}/${MANIFEST}`));
    const entries: ObjectCheckpointTensor[] = [];
    for (const [name, data] of tensors) {
      const file = `${prefix}/${safeName(name)}.f32`;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const info = await this.guard(`write ${file}`, () =>
        this.os.putBlob({ name: file, options: { max_chunk_size: CHUNK_BYTES } }, bytes),
      );
      entries.push({
        name,
        file,
        length: data.length,
        checksum: checksumArray(data),
        digest: info.digest,
      });
    }
    return { step, tensors: entries };
  }

  /**
   * Second half: writes the manifest (the commit), names the version BEST when it is the best
   * validation, then prunes versions beyond `keep` (never the best).
   */
  async commit(
    staged: StagedVersion,
    meta: Record<string, unknown>,
    opts: { best?: boolean } = {},
  ): Promise<string> {
    const prefix = versionDirName(staged.step);
    const manifest: ObjectCheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: staged.step,
      tensors: staged.tensors,
      meta,
      createdAt: new Date().toISOString(),
    };
    const text = new TextEncoder().encode(JSON.stringify(manifest));
    await this.guard(`commit ${prefix}`, () =>
      this.os.putBlob({ name: `${prefix}/${MANIFEST}` }, text),
    );
    if (opts.best) {
      const best = new TextEncoder().encode(JSON.stringify({ step: staged.step }));
      await this.guard(`mark ${prefix} best`, () => this.os.putBlob({ name: BEST }, best));
    }
    await this.prune(staged.step);
    return this.locationOf(staged.step);
  }

  async read(location: string): Promise<Checkpoint> {
    const prefix = location.startsWith(`${this.where}/`)
      ? location.slice(this.where.length + 1)
      : location;
    if (!/^v\d{9}$/.test(prefix))
      throw new InputError(`not a checkpoint version of ${this.where}`, { file: location });
    const manifestName = `${prefix}/${MANIFEST}`;
    const where = `${this.where}/${manifestName}`;
    const raw = await this.guard(`read ${manifestName}`, () => this.os.getBlob(manifestName));
    if (!raw)
      throw new InputError('checkpoint manifest missing (version not committed)', { file: where });
    let manifest: ObjectCheckpointManifest;
    try {
      manifest = JSON.parse(new TextDecoder().decode(raw)) as ObjectCheckpointManifest;
    } catch (error) {
      throw new InputError(
        `cannot parse checkpoint manifest: ${(error as Error).message}`,
        { file: where },
        { cause: error },
      );
    }
    if (manifest.format !== CHECKPOINT_FORMAT || manifest.version !== CHECKPOINT_VERSION)
      throw new InputError(`not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} manifest`, {
        file: where,
        field: 'format',
      });
    const tensors = new Map<string, Float32Array>();
    for (const t of manifest.tensors) {
      const file = `${this.where}/${t.file}`;
      const r = await this.guard(`read ${t.file}`, () => this.os.get(t.file));
      if (!r) throw new InputError('checkpoint object missing', { file });
      if (r.info.digest !== t.digest)
        throw new InputError(`object digest ${r.info.digest} is not the committed ${t.digest}`, {
          file,
        });
      const [streamError, bytes] = await Promise.all([r.error, readAll(r.data)]);
      if (streamError)
        throw new InputError(
          `cannot read object: ${streamError.message}`,
          { file },
          { cause: streamError },
        );
      if (bytes.byteLength !== t.length * 4)
        throw new InputError(`expected ${t.length * 4} bytes, found ${bytes.byteLength}`, { file });
      const data = new Float32Array(t.length);
      new Uint8Array(data.buffer).set(bytes);
      if (checksumArray(data) !== t.checksum)
        throw new InputError('checksum mismatch (corrupted object)', { file });
      tensors.set(t.name, data);
    }
    return {
      step: manifest.step,
      tensors,
      meta: manifest.meta,
      dir: this.locationOf(manifest.step),
    };
  }

  /**
   * Committed versions (a manifest exists), most recently committed first: commit order, not step
   * order, so a fresh run writing into a bucket that holds an older run's versions reads its own.
   */
  async versions(): Promise<number[]> {
    return [...(await this.objectsByVersion())]
      .filter(([, v]) => v.committedAt !== undefined)
      .sort(([, x], [, y]) => y.committedAt! - x.committedAt!)
      .map(([prefix]) => Number(prefix.slice(1)));
  }

  /** The newest committed version that verifies; a version failing verification is passed over. */
  async latest(): Promise<Checkpoint | undefined> {
    for (const step of await this.versions()) {
      try {
        return await this.read(this.locationOf(step));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
      }
    }
    return undefined;
  }

  /** The version BEST names, verified; undefined when none was saved as best (or it is gone). */
  async best(): Promise<Checkpoint | undefined> {
    const step = await this.bestStep();
    if (step === undefined) return undefined;
    try {
      return await this.read(this.locationOf(step));
    } catch (error) {
      if (error instanceof InputError) return undefined;
      throw error;
    }
  }

  private async bestStep(): Promise<number | undefined> {
    const raw = await this.guard('read BEST', () => this.os.getBlob(BEST));
    if (!raw) return undefined;
    try {
      const step = (JSON.parse(new TextDecoder().decode(raw)) as { step?: unknown }).step;
      return typeof step === 'number' && Number.isSafeInteger(step) ? step : undefined;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.owned.drain().catch(() => undefined);
  }

  /**
   * Object names grouped by version prefix (`v000000123` → ['manifest.json', 'w.f32', ...]) with the
   * stream revision of the manifest when the version is committed.
   */
  private async objectsByVersion(): Promise<
    Map<string, { files: string[]; committedAt?: number }>
  > {
    const infos = await this.guard('list', () => this.os.list());
    const out = new Map<string, { files: string[]; committedAt?: number }>();
    for (const info of infos) {
      const m = VERSION_RE.exec(info.name);
      if (!m || info.deleted) continue;
      const entry = out.get(m[1]) ?? { files: [] };
      entry.files.push(m[2]);
      out.set(m[1], entry);
    }
    // A listing carries no stream revisions; each manifest's own info does.
    for (const [prefix, entry] of out) {
      if (!entry.files.includes(MANIFEST)) continue;
      const info = await this.guard(`info ${prefix}`, () => this.os.info(`${prefix}/${MANIFEST}`));
      if (info && !info.deleted) entry.committedAt = info.revision;
    }
    return out;
  }

  /**
   * Drops committed versions beyond the `keep` most recent and leftovers of saves that died before
   * their commit. A version's manifest goes first, so a reader never trusts a half-deleted version.
   */
  private async prune(current: number): Promise<void> {
    const byVersion = await this.objectsByVersion();
    const kept = new Set((await this.versions()).slice(0, this.keep));
    kept.add(current);
    const best = await this.bestStep();
    if (best !== undefined) kept.add(best);
    for (const [prefix, { files }] of byVersion) {
      if (kept.has(Number(prefix.slice(1)))) continue;
      const ordered = [...files].sort((a, b) => Number(b === MANIFEST) - Number(a === MANIFEST));
      for (const f of ordered)
        await this.guard(`delete ${prefix}/${f}`, () => this.deleteIfPresent(`${prefix}/${f}`));
    }
  }

  private async deleteIfPresent(name: string): Promise<void> {
    if (await this.os.info(name)) await this.os.delete(name);
  }

  private async guard<R>(what: string, op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (error) {
      throw new CheckpointStoreError(this.bucket, `${what}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * A JetStream checkpoint store that connects with `nats` on first use and opens (or creates) `bucket`;
 * `close` drops the connection, and a later use connects again, so an idle job holds no connection.
 */
export function jetStreamCheckpointStore(
  nats: NatsConfig,
  bucket: string,
  keep = 3,
): CheckpointStore {
  if (!/^[A-Za-z0-9_-]+$/.test(bucket))
    throw new ConfigError(`bucket name ${JSON.stringify(bucket)} may hold only A-Z a-z 0-9 _ -`, {
      field: 'train.checkpointBucket',
    });
  let opening: Promise<JetStreamCheckpointStore> | undefined;
  const store = () => {
    opening ??= connectNats({ ...nats, name: nats.name ?? `weft-checkpoints-${bucket}` }).then(
      (nc) => JetStreamCheckpointStore.open(nc, bucket, { keep, ownsConnection: true }),
    );
    // A failed connect is not remembered: the next use tries again.
    opening.catch(() => (opening = undefined));
    return opening;
  };
  return {
    kind: 'jetstream',
    where: `jetstream://${bucket}`,
    save: async (step, tensors, meta, opts) => (await store()).save(step, tensors, meta, opts),
    read: async (location) => (await store()).read(location),
    locationOf: (step) => `jetstream://${bucket}/${versionDirName(step)}`,
    latest: async () => (await store()).latest(),
    best: async () => (await store()).best(),
    close: async () => {
      const current = opening;
      opening = undefined;
      if (current) await (await current.catch(() => undefined))?.close();
    },
  };
}
