// Checkpoint stores: the directory store and the JetStream object store round-trip versions; a save that
// died between its objects and its manifest is ignored; tampered objects fail verification.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import {
  checkpointBucketOf,
  checkpointStoreOf,
  pathCheckpointStore,
  resumeCheckpoint,
} from '../../../actors/parameter-server/checkpoint-store.js';
import {
  JetStreamCheckpointStore,
  jetStreamCheckpointStore,
} from '../../../actors/parameter-server/jetstream-checkpoint-store.js';
import { ConfigError, InputError } from '../../../runtime/errors.js';
import { findNatsServer, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-ckpt-store-'));
const haveServer = findNatsServer() !== undefined;
if (!haveServer) console.warn('nats-server not installed: skipping the JetStream checkpoint tests');

let server: NatsServer | undefined;
let nc: NatsConnection | undefined;
beforeAll(async () => {
  if (!haveServer) return;
  server = await startNatsServer({ jetStreamDir: join(tmp, 'js') });
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Random tensors of random sizes (`big`: one spans two 1 MiB chunks), named like parameters and slots. */
function randomTensors(seed: number, count = 4, big = false): Map<string, Float32Array> {
  let x = seed * 2654435761 + 1;
  const rnd = () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const out = new Map<string, Float32Array>();
  for (let i = 0; i < count; i++) {
    const n = i === 0 && big ? 300_000 + Math.floor(rnd() * 1000) : 1 + Math.floor(rnd() * 5000);
    const t = new Float32Array(n);
    for (let k = 0; k < n; k++) t[k] = rnd() * 2 - 1;
    out.set(i % 2 ? `layer${i}.w#adam_m` : `layer${i}.w`, t);
  }
  return out;
}

function expectSame(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
}

describe('path checkpoint store', () => {
  it('round-trips versions and keeps the newest three on disk', async () => {
    const root = join(tmp, 'path');
    const store = pathCheckpointStore(root);
    expect(await store.latest()).toBeUndefined();
    const saved: Map<string, Float32Array>[] = [];
    for (let v = 1; v <= 5; v++) {
      const t = randomTensors(v, 3);
      saved.push(t);
      const loc = await store.save(v * 10, t, { epoch: v });
      const back = await store.read(loc);
      expect(back.step).toBe(v * 10);
      expectSame(t, back.tensors);
    }
    const latest = (await store.latest())!;
    expect(latest.step).toBe(50);
    expect(latest.meta.epoch).toBe(5);
    expectSame(saved[4], latest.tensors);
    expect(readdirSync(root).filter((d) => d.startsWith('v'))).toHaveLength(3);
  });
});

describe.skipIf(!haveServer)('JetStream object-store checkpoint store', () => {
  it('round-trips versions of random tensors for many seeds, and prunes to the newest three', async () => {
    const store = await JetStreamCheckpointStore.open(nc!, 'rt');
    expect(await store.latest()).toBeUndefined();
    let last: Map<string, Float32Array> | undefined;
    for (let seed = 1; seed <= 6; seed++) {
      const t = randomTensors(seed, 4, seed <= 2);
      last = t;
      const loc = await store.save(seed * 7, t, { epoch: seed, coordinator: { step: seed } });
      expect(loc).toBe(`jetstream://rt/v${String(seed * 7).padStart(9, '0')}`);
      const back = await store.read(loc);
      expect(back.step).toBe(seed * 7);
      expect(back.meta).toEqual({ epoch: seed, coordinator: { step: seed } });
      expect(back.dir).toBe(loc);
      expectSame(t, back.tensors);
    }
    expect(await store.versions()).toEqual([42, 35, 28]);
    const latest = (await store.latest())!;
    expect(latest.step).toBe(42);
    expectSame(last!, latest.tensors);
    // Pruned versions are gone entirely, objects and manifests.
    const os = await new Objm(nc!).open('rt');
    const names = (await os.list()).map((i) => i.name);
    expect(names.some((n) => n.startsWith('v000000007/'))).toBe(false);
    expect(names.filter((n) => n.endsWith('manifest.json'))).toHaveLength(3);
  });

  it('a crash between the objects and the manifest: the half-written version is ignored', async () => {
    const store = await JetStreamCheckpointStore.open(nc!, 'crash');
    const first = randomTensors(11);
    await store.save(12, first, { epoch: 0 });
    // The next save writes its objects and dies before committing.
    await store.writeObjects(24, randomTensors(12));
    const latest = (await store.latest())!;
    expect(latest.step).toBe(12);
    expectSame(first, latest.tensors);
    expect(await store.versions()).toEqual([12]);
    await expect(store.read(store.locationOf(24))).rejects.toThrow(/not committed/);
    // A fresh store on the same bucket (the coordinator restarted) sees the same; the next commit
    // cleans the leftover away.
    const again = await JetStreamCheckpointStore.open(nc!, 'crash');
    expect((await again.latest())!.step).toBe(12);
    const third = randomTensors(13);
    await again.save(36, third, { epoch: 2 });
    expect(await again.versions()).toEqual([36, 12]);
    const os = await new Objm(nc!).open('crash');
    expect((await os.list()).some((i) => i.name.startsWith('v000000024/'))).toBe(false);
    // Re-saving a committed step withdraws its manifest first: dying mid-rewrite falls back to 12.
    await again.writeObjects(36, randomTensors(14));
    expect((await again.latest())!.step).toBe(12);
  });

  it('a replaced object fails verification and latest() falls back to the previous version', async () => {
    const store = await JetStreamCheckpointStore.open(nc!, 'tamper');
    const older = randomTensors(21, 2);
    await store.save(5, older, {});
    const newer = randomTensors(22, 2);
    await store.save(6, newer, {});
    const os = await new Objm(nc!).open('tamper');
    const victim = (await os.list()).find((i) => i.name.startsWith('v000000006/layer0'))!;
    await os.putBlob({ name: victim.name }, new Uint8Array(victim.size));
    await expect(store.read(store.locationOf(6))).rejects.toBeInstanceOf(InputError);
    const latest = (await store.latest())!;
    expect(latest.step).toBe(5);
    expectSame(older, latest.tensors);
  });

  it('the lazy store from a job spec connects on use, resumes, and reconnects after close', async () => {
    const spec = applyOverrides(defaultJobSpec(), {
      name: 'lazy job',
      'runtime.transport': 'nats',
      'train.checkpointStore': 'jetstream',
    });
    expect(checkpointBucketOf(spec, 'lazy-job')).toBe('weft-ckpt-lazy-job');
    const store = checkpointStoreOf(spec, {
      ckptDir: join(tmp, 'unused'),
      job: 'lazy-job',
      nats: { servers: server!.url },
    });
    expect(store.kind).toBe('jetstream');
    await expect(resumeCheckpoint(store)).rejects.toThrow(/nothing to resume/);
    const t = randomTensors(31, 2);
    await store.save(3, t, { coordinator: { epoch: 0 } });
    await store.close();
    const back = await resumeCheckpoint(store);
    expect(back.step).toBe(3);
    expectSame(t, back.tensors);
    await store.close();
    expect(() => jetStreamCheckpointStore({ servers: server!.url }, 'bad name')).toThrow(
      ConfigError,
    );
  });
});

describe('job-spec checks of the checkpoint store', () => {
  it('rejects jetstream with the embedded transport, naming the field', () => {
    expect(() =>
      applyOverrides(defaultJobSpec(), { 'train.checkpointStore': 'jetstream' }),
    ).toThrow(/train\.checkpointStore/);
    expect(
      applyOverrides(defaultJobSpec(), {
        'train.checkpointStore': 'jetstream',
        'runtime.transport': 'nats',
      }).train.checkpointStore,
    ).toBe('jetstream');
  });
});
