// Payloads larger than the server's max_payload: the sender keeps the bytes and sends a small manifest;
// the receiver pulls the chunks by request/reply (a few in flight), so nothing large is ever pushed unasked.
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { headers as makeHeaders, nuid } from '@nats-io/transport-node';
import type { Logger } from '../actor-log.js';
import { WeftError } from '../errors.js';

/** Header carrying a manifest: `<subject> <id> <bytes> <chunkBytes> <ttlMs>`. */
export const BLOB_HEADER = 'Weft-Blob';
const ERROR_HEADER = 'Weft-Blob-Error';

export interface BlobManifest {
  /** Where to request chunks. */
  readonly subject: string;
  readonly id: string;
  readonly bytes: number;
  readonly chunkBytes: number;
  /** How long the sender keeps the bytes after offering them. */
  readonly ttlMs: number;
}

/** A chunked transfer failed (expired, truncated, timed out); the ask fails with it as cause. */
export class BlobTransferError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('blob-transfer', message, options);
  }
}

export function formatManifest(m: BlobManifest): string {
  return `${m.subject} ${m.id} ${m.bytes} ${m.chunkBytes} ${m.ttlMs}`;
}

export function parseManifest(text: string): BlobManifest {
  const parts = text.trim().split(' ');
  const [subject, id] = parts;
  const [bytes, chunkBytes, ttlMs] = parts.slice(2).map(Number);
  if (parts.length !== 5 || !subject || !id || !(bytes >= 0) || !(chunkBytes > 0) || !(ttlMs > 0)) {
    throw new BlobTransferError(`malformed blob manifest "${text}"`);
  }
  return { subject, id, bytes, chunkBytes, ttlMs };
}

/** Chunk count of a manifest. */
export function chunkCount(m: Pick<BlobManifest, 'bytes' | 'chunkBytes'>): number {
  return Math.max(1, Math.ceil(m.bytes / m.chunkBytes));
}

interface Offered {
  readonly bytes: Uint8Array;
  readonly chunkBytes: number;
  readonly served: Uint8Array;
  remaining: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Holds this connection's outgoing large payloads and answers chunk requests for them. */
export class BlobServer {
  readonly subject: string;
  private readonly offered = new Map<string, Offered>();
  private readonly sub: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    prefix = 'weft._blob',
  ) {
    this.subject = `${prefix}.${nuid.next()}`;
    this.sub = nc.subscribe(this.subject, { callback: (_err, msg) => this.serve(msg) });
  }

  /** Keeps `bytes` until every chunk was fetched once or `ttlMs` passed; returns the manifest to send. */
  offer(bytes: Uint8Array, chunkBytes: number, ttlMs: number): BlobManifest {
    const id = nuid.next();
    const count = chunkCount({ bytes: bytes.length, chunkBytes });
    const timer = setTimeout(() => this.offered.delete(id), ttlMs);
    timer.unref();
    this.offered.set(id, {
      bytes,
      chunkBytes,
      served: new Uint8Array(count),
      remaining: count,
      timer,
    });
    return { subject: this.subject, id, bytes: bytes.length, chunkBytes, ttlMs };
  }

  /** Drops an offer early (the ask it belonged to has settled). */
  release(id: string): void {
    const entry = this.offered.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.offered.delete(id);
  }

  get pending(): number {
    return this.offered.size;
  }

  private serve(msg: Msg): void {
    if (!msg.reply) return;
    // Request body: the chunk index as a decimal string, then a space and the blob id.
    const text = new TextDecoder().decode(msg.data);
    const space = text.indexOf(' ');
    const index = Number(text.slice(0, space));
    const id = text.slice(space + 1);
    const entry = this.offered.get(id);
    if (!entry || !Number.isInteger(index) || index < 0 || index >= entry.served.length) {
      const h = makeHeaders();
      h.set(ERROR_HEADER, entry ? `chunk ${index} out of range` : 'blob expired or unknown');
      msg.respond(new Uint8Array(0), { headers: h });
      return;
    }
    const start = index * entry.chunkBytes;
    msg.respond(
      entry.bytes.subarray(start, Math.min(entry.bytes.length, start + entry.chunkBytes)),
    );
    if (entry.served[index] === 0) {
      entry.served[index] = 1;
      if (--entry.remaining === 0) this.release(id);
    }
  }

  close(): void {
    for (const entry of this.offered.values()) clearTimeout(entry.timer);
    this.offered.clear();
    try {
      this.sub.unsubscribe();
    } catch (error) {
      this.log.debug('blob subscription already closed', { error: error as Error });
    }
  }
}

export interface PullOptions {
  /** Whole transfer must finish by then (ms since epoch). */
  readonly deadlineMs: number;
  /** Chunk requests in flight at once (default 4). */
  readonly window?: number;
}

/**
 * Fetches every chunk of `manifest` into one fresh buffer (offset 0, so typed arrays decode as aligned views).
 * Up to `window` chunk requests are in flight; each is a request/reply, so the receiver sets the pace.
 */
export async function pullBlob(
  nc: NatsConnection,
  manifest: BlobManifest,
  options: PullOptions,
): Promise<Uint8Array> {
  const out = new Uint8Array(manifest.bytes);
  const count = chunkCount(manifest);
  const window = Math.max(1, options.window ?? 4);
  let next = 0;
  let failed = false;
  const encoder = new TextEncoder();
  const worker = async (): Promise<void> => {
    while (next < count && !failed) {
      const index = next++;
      const remainingMs = options.deadlineMs - Date.now();
      if (remainingMs <= 0)
        throw new BlobTransferError(
          `blob ${manifest.id}: deadline passed at chunk ${index}/${count}`,
        );
      let reply;
      try {
        reply = await nc.request(manifest.subject, encoder.encode(`${index} ${manifest.id}`), {
          timeout: Math.max(1, Math.floor(remainingMs)),
        });
      } catch (error) {
        throw new BlobTransferError(
          `blob ${manifest.id}: chunk ${index}/${count} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const problem = reply.headers?.get(ERROR_HEADER);
      if (problem) throw new BlobTransferError(`blob ${manifest.id}: ${problem}`);
      const start = index * manifest.chunkBytes;
      const expected = Math.min(manifest.bytes, start + manifest.chunkBytes) - start;
      if (reply.data.length !== expected) {
        throw new BlobTransferError(
          `blob ${manifest.id}: chunk ${index} has ${reply.data.length} bytes, expected ${expected}`,
        );
      }
      out.set(reply.data, start);
    }
  };
  const run = async (): Promise<void> => {
    try {
      await worker();
    } catch (error) {
      failed = true; // the other workers stop at their next chunk
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, run));
  return out;
}
