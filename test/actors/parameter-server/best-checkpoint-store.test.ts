// Both checkpoint stores keep the version saved as the best validation whatever their pruning, hand it
// back verified from best(), and let it go once a newer best replaces it.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pathCheckpointStore,
  type CheckpointStore,
} from '../../../actors/parameter-server/checkpoint-store.js';
import { JetStreamCheckpointStore } from '../../../actors/parameter-server/jetstream-checkpoint-store.js';
import { findNatsServer, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-best-ckpt-'));
const haveServer = findNatsServer() !== undefined;
if (!haveServer)
  console.warn('nats-server not installed: skipping the JetStream best-checkpoint test');

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

const tensorsOf = (v: number) => new Map([['w', Float32Array.from([v, v + 0.5, -v])]]);

/** Saves versions 10..60 (best at 20), then 70 as the new best; checks best() and what is kept. */
async function exercise(store: CheckpointStore, kept: () => Promise<number[]>): Promise<void> {
  expect(await store.best()).toBeUndefined();
  for (let v = 1; v <= 6; v++)
    await store.save(v * 10, tensorsOf(v), { epoch: v - 1 }, { best: v === 2 });
  const best = (await store.best())!;
  expect(best.step).toBe(20);
  expect(best.meta.epoch).toBe(1);
  expect(Array.from(best.tensors.get('w')!)).toEqual([2, 2.5, -2]);
  expect(best.dir).toBe(store.locationOf(20));
  expect((await store.latest())!.step).toBe(60);
  // The newest three and the best: version 20 outlived 10 and 30.
  expect(await kept()).toEqual([20, 40, 50, 60]);
  await store.save(70, tensorsOf(7), { epoch: 6 }, { best: true });
  expect((await store.best())!.step).toBe(70);
  expect(await kept()).toEqual([50, 60, 70]);
}

describe('the best checkpoint', () => {
  it('is kept by the path store (BEST names it)', async () => {
    const root = join(tmp, 'path');
    const store = pathCheckpointStore(root);
    await exercise(store, async () =>
      readdirSync(root)
        .filter((d) => /^v\d{9}$/.test(d))
        .map((d) => Number(d.slice(1)))
        .sort((a, b) => a - b),
    );
    expect(readFileSync(join(root, 'BEST'), 'utf8').trim()).toBe('v000000070');
  });

  it.skipIf(!haveServer)('is kept by the JetStream store (a BEST object names it)', async () => {
    const store = await JetStreamCheckpointStore.open(nc!, 'best-ckpt', { keep: 3 });
    await exercise(store, async () => (await store.versions()).sort((a, b) => a - b));
  });
});
