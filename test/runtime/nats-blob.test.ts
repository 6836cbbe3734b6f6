// Chunked transfers over a real nats-server with a small max_payload: sizes around chunk boundaries arrive
// byte for byte, offers are released once fully pulled, and expired or unknown blobs fail clearly.
import {
  connect,
  headers as makeHeaders,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../runtime/actor-log.js';
import { NatsTransport } from '../../runtime/transports/nats.js';
import {
  BLOB_HEADER,
  BlobServer,
  BlobTransferError,
  chunkCount,
  formatManifest,
  parseManifest,
  pullBlob,
} from '../../runtime/transports/nats-blob.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const MAX_PAYLOAD = 64 * 1024;
const CHUNK = MAX_PAYLOAD - 1024;

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('chunked blob transfer', () => {
  let server: NatsServer;
  let sender: NatsConnection;
  let receiver: NatsConnection;
  let blobs: BlobServer;

  beforeAll(async () => {
    server = await startNatsServer({ maxPayloadBytes: MAX_PAYLOAD });
    sender = await connect({ servers: server.url });
    receiver = await connect({ servers: server.url });
    blobs = new BlobServer(sender, silentLogger);
    await sender.flush();
  });

  afterAll(async () => {
    blobs?.close();
    await sender?.close();
    await receiver?.close();
    await server?.stop();
  });

  it('moves payloads of sizes around chunk boundaries byte for byte', async () => {
    const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 3, 1_000_003];
    for (const [i, size] of sizes.entries()) {
      const bytes = randomBytes(size, i + 1);
      const manifest = blobs.offer(bytes, CHUNK, 30_000);
      expect(parseManifest(formatManifest(manifest))).toEqual(manifest);
      const got = await pullBlob(receiver, manifest, {
        deadlineMs: Date.now() + 30_000,
        window: 1 + (i % 4),
      });
      expect(got.byteOffset).toBe(0);
      expect(got.length).toBe(size);
      expect(Buffer.compare(Buffer.from(got), Buffer.from(bytes))).toBe(0);
      expect(chunkCount(manifest)).toBe(Math.max(1, Math.ceil(size / CHUNK)));
    }
    // Every offer was fully pulled, so none is held any more.
    expect(blobs.pending).toBe(0);
  }, 60_000);

  it('fails clearly for a released or unknown blob', async () => {
    const manifest = blobs.offer(randomBytes(3 * CHUNK, 9), CHUNK, 30_000);
    blobs.release(manifest.id);
    const error = await pullBlob(receiver, manifest, { deadlineMs: Date.now() + 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BlobTransferError);
    expect((error as Error).message).toMatch(/expired or unknown/);
  });

  it('forgets an offer after its time to live', async () => {
    const manifest = blobs.offer(randomBytes(10, 3), CHUNK, 30);
    await new Promise((r) => setTimeout(r, 100));
    expect(blobs.pending).toBe(0);
    await expect(
      pullBlob(receiver, manifest, { deadlineMs: Date.now() + 10_000 }),
    ).rejects.toBeInstanceOf(BlobTransferError);
  });

  it('refuses a declared size over the limit before pulling a byte', async () => {
    const transport = await NatsTransport.connect({
      config: { servers: server.url, maxInboundBytes: 1024 * 1024 },
      logger: silentLogger,
    });
    try {
      // Nobody serves this subject: a pull would fail with "no responders", not with the limit.
      const declared = (bytes: number) => {
        const headers = makeHeaders();
        headers.set(
          BLOB_HEADER,
          formatManifest({
            subject: 'weft._blob.nobody',
            id: 'x',
            bytes,
            chunkBytes: CHUNK,
            ttlMs: 5000,
          }),
        );
        return { headers, data: new Uint8Array(0) } as unknown as Msg;
      };
      expect(() => transport.readInbound(declared(100 * 1024 * 1024), Date.now() + 5000)).toThrow(
        /104857600 bytes exceeds the limit of 1048576/,
      );
      await expect(
        Promise.resolve().then(() => transport.readInbound(declared(1000), Date.now() + 5000)),
      ).rejects.toThrow(/chunk 0\/1 failed/);
    } finally {
      await transport.close();
    }
  });

  it('rejects malformed manifests', () => {
    for (const bad of ['', 'a b c', 'subj id -1 10 10', 'subj id 10 0 10', 'subj id 10 10']) {
      expect(() => parseManifest(bad)).toThrow(BlobTransferError);
    }
  });
});
