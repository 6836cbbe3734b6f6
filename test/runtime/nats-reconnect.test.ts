// Restarts nats-server on the same port in the middle of a conversation with an actor in another process:
// both sides reconnect on their own, and asks after the restart succeed (large chunked ones included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem, type ActorRef } from '../../runtime/actor-system.js';
import type { NatsTransport } from '../../runtime/transports/nats.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { seededDoubles, type EchoProtocol } from './fixtures/conformance-actors.js';

const echoSpec = {
  module: new URL('./fixtures/conformance-actors.ts', import.meta.url),
  export: 'EchoActor',
};

describe('NATS reconnect across a server restart', () => {
  let server: NatsServer;
  let system: ActorSystem;
  let echo: ActorRef<typeof EchoProtocol>;

  beforeAll(async () => {
    server = await startNatsServer({ maxPayloadBytes: 512 * 1024 });
    system = await ActorSystem.start({
      transport: 'nats',
      nats: { servers: server.url },
      logger: silentLogger,
    });
    echo = await system.spawn<typeof EchoProtocol>(
      echoSpec,
      { job: 'reconnect', role: 'echo', index: 0 },
      { placement: 'process' },
    );
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
    await server?.stop();
  });

  it('keeps talking to the actor after nats-server restarts on the same port', async () => {
    for (let i = 0; i < 10; i++)
      expect(await echo.ask('add', { a: i, b: 1 })).toEqual({ sum: i + 1 });
    const before = await echo.ask('count', undefined);

    // A conversation that keeps going while the server goes away and comes back; failures during the
    // outage are expected and only counted.
    let running = true;
    let okDuring = 0;
    let failedDuring = 0;
    const chatter = (async () => {
      while (running) {
        try {
          await echo.ask('echo', { n: okDuring }, { timeoutMs: 500 });
          okDuring++;
        } catch {
          failedDuring++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));

    const transport = system.transport as NatsTransport;
    const reconnected = transport.reconnected(60_000);
    const oldPid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    await reconnected;

    // The actor's process reconnects on its own schedule: wait for the first answer, then require all.
    const deadline = Date.now() + 30_000;
    let first: unknown;
    while (Date.now() < deadline) {
      try {
        first = await echo.ask('echo', { n: -1 }, { timeoutMs: 1000 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(first).toEqual({ n: -1 });
    running = false;
    await chatter;
    expect(okDuring).toBeGreaterThan(0);

    for (let i = 0; i < 20; i++)
      expect(await echo.ask('add', { a: i, b: i })).toEqual({ sum: 2 * i });
    // Same process as before the restart: the actor survived, only the connections were re-established.
    const after = await echo.ask('count', undefined);
    expect(after.pid).toBe(before.pid);
    expect(after.instance).toBe(before.instance);
    // Chunked transfers work over the new connections (max_payload is re-read from the new server).
    const made = await echo.ask('makeBlob', { length: 300_000, seed: 9 }, { timeoutMs: 30_000 });
    expect(
      Buffer.compare(
        Buffer.from(made.buffer, made.byteOffset, made.byteLength),
        Buffer.from(seededDoubles(300_000, 9).buffer),
      ),
    ).toBe(0);
    expect(okDuring + failedDuring).toBeGreaterThan(0);
  }, 120_000);
});
