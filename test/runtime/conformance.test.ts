// One suite of actor behaviour, run over both transports: the same actor code and the same expectations
// for tell, ask, errors, validation, large and typed payloads, pulling with credits, drain and supervision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorStoppedError,
  ActorTimeoutError,
  MessageValidationError,
  NoResponderError,
  RemoteActorError,
} from '../../runtime/actor-errors.js';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem, type ActorRef } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { pull } from '../../runtime/pull-stream.js';
import type { SupervisorEvent } from '../../runtime/supervisor.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import {
  EchoProtocol,
  RecorderActor,
  seededDoubles,
  type Item,
  type RecorderEvent,
  type TypedBundle,
} from './fixtures/conformance-actors.js';

const echoSpec = {
  module: new URL('./fixtures/conformance-actors.ts', import.meta.url),
  export: 'EchoActor',
};

type Kind = 'inproc' | 'nats';

function randomBundle(seed: number, length: number): TypedBundle {
  let x = seed >>> 0 || 7;
  const next = (): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
  const fill = <T extends { length: number; [i: number]: number }>(a: T, f: () => number): T => {
    for (let i = 0; i < a.length; i++) a[i] = f();
    return a;
  };
  return {
    f32: fill(new Float32Array(length), () => next() / 2 ** 32 - 0.5),
    f64: fill(new Float64Array(length), () => (next() / 2 ** 32 - 0.5) * 1e6),
    i32: fill(new Int32Array(length), () => next() | 0),
    u32: fill(new Uint32Array(length), next),
    i64: BigInt64Array.from({ length }, () => (BigInt(next()) << 31n) - BigInt(next())),
    u64: BigUint64Array.from({ length }, () => (BigInt(next()) << 32n) | BigInt(next())),
    u8: fill(new Uint8Array(length), () => next() & 0xff),
    i8: fill(new Int8Array(length), () => (next() & 0xff) - 128),
    u16: fill(new Uint16Array(length), () => next() & 0xffff),
    i16: fill(new Int16Array(length), () => (next() & 0xffff) - 32768),
    u8c: fill(new Uint8ClampedArray(length), () => next() & 0xff),
  };
}

describe.each<Kind>(['inproc', 'nats'])('actor conformance over %s', (kind) => {
  let server: NatsServer | undefined;
  let system: ActorSystem;
  let recorder: ActorRef;
  let echo: ActorRef<typeof EchoProtocol>;
  const job = `conf-${kind}`;
  const at = (index: number): Address => ({ job, role: 'echo', index });

  beforeAll(async () => {
    if (kind === 'nats') server = await startNatsServer({ maxPayloadBytes: 1024 * 1024 });
    system = await ActorSystem.start({
      transport: kind,
      nats: server ? { servers: server.url } : undefined,
      logger: silentLogger,
      restart: { restart: 'on-failure', initialDelayMs: 20, maxDelayMs: 200 },
    });
    recorder = await system.spawn(
      RecorderActor,
      { job, role: 'recorder', index: 0 },
      { placement: 'local' },
    );
    echo = await system.spawn<typeof EchoProtocol>(echoSpec, at(0), {
      config: { recorder: recorder.address },
    });
  });

  afterAll(async () => {
    await system?.shutdown();
    await server?.stop();
  });

  async function events(from: number): Promise<RecorderEvent[]> {
    const reply = (await recorder.ask('events', { from })) as { events: RecorderEvent[] };
    return reply.events;
  }

  async function eventually<T>(
    probe: () => Promise<T>,
    ok: (value: T) => boolean,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (ok(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('answers asks with the handler result', async () => {
    for (let i = 0; i < 20; i++) {
      const a = Math.random() * 1000;
      const b = Math.random() * 1000;
      expect(await echo.ask('add', { a, b })).toEqual({ sum: a + b });
    }
    expect(await echo.ask('echo', { n: 3, text: 'three' })).toEqual({ n: 3, text: 'three' });
  });

  it('delivers tells in order and one-way', async () => {
    const before = (await echo.ask('count', undefined)).count;
    for (let v = 0; v < 25; v++) echo.tell('record', { value: v });
    const recorded = await eventually(
      async () => (await events(0)).filter((e) => e.kind === 'record'),
      (list) => list.length >= before + 25,
    );
    expect(recorded.slice(-25).map((e) => e.value)).toEqual(
      Array.from({ length: 25 }, (_, v) => v),
    );
    expect((await echo.ask('count', undefined)).count).toBe(before + 25);
  });

  it('lets actors ask each other (context ask)', async () => {
    const other = await system.spawn(echoSpec, at(1), {});
    expect(
      await echo.ask(
        'forward',
        { to: { job, role: 'echo', index: 1 }, n: 9 },
        { timeoutMs: 30_000 },
      ),
    ).toEqual({
      n: 9,
      text: 'via 0',
    });
    // An ask from inside a handler that nobody answers fails like any other ask.
    const lost = await echo
      .ask('forward', { to: { job, role: 'nobody', index: 0 }, n: 1 })
      .catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(RemoteActorError);
    expect((lost as RemoteActorError).remoteName).toBe('NoResponderError');
    await other.stop();
  }, 30_000);

  it('reaches a pool member through the pool address', async () => {
    const reply = await system.ask({ job, role: 'echo', index: '*' }, 'echo', { n: 11 });
    expect(reply).toEqual({ n: 11 });
  });

  it('rejects a slow ask with ActorTimeoutError', async () => {
    const error = await echo
      .ask('slow', { ms: 1000, value: 1 }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorTimeoutError);
    expect((error as ActorTimeoutError).timeoutMs).toBe(100);
    // The actor is fine afterwards.
    expect(await echo.ask('slow', { ms: 1, value: 42 }, { timeoutMs: 10_000 })).toBe(42);
  });

  it('rejects an ask to an empty address with NoResponderError', async () => {
    const error = await system
      .ask({ job, role: 'nobody', index: 3 }, 'echo', { n: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoResponderError);
    expect((error as NoResponderError).address).toBe(`${job}/nobody/3`);
  });

  it('turns a throwing ask handler into RemoteActorError with the remote name and message', async () => {
    const error = await echo.ask('fail', { message: 'bad thing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteActorError);
    const remote = error as RemoteActorError;
    expect(remote.remoteName).toBe('BoomError');
    expect(remote.remoteMessage).toBe('bad thing');
    expect((remote.cause as Error).message).toBe('bad thing');
    expect(await echo.ask('add', { a: 1, b: 1 })).toEqual({ sum: 2 });
  });

  it('answers a malformed message with MessageValidationError naming the field, and survives', async () => {
    const wrongType = await echo.ask('add', { a: 'one', b: 2 } as never).catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(MessageValidationError);
    expect((wrongType as MessageValidationError).field).toBe('a');
    const missing = await echo.ask('add', { a: 1 } as never).catch((e: unknown) => e);
    expect((missing as MessageValidationError).field).toBe('b');
    const extra = await echo.ask('add', { a: 1, b: 2, c: 3 } as never).catch((e: unknown) => e);
    expect((extra as MessageValidationError).field).toBe('c');
    const unknownVerb = await system.ask(echo.address, 'nosuchverb', {}).catch((e: unknown) => e);
    expect((unknownVerb as MessageValidationError).field).toBe('verb');
    const badReply = await echo.ask('badReply', undefined).catch((e: unknown) => e);
    expect(badReply).toBeInstanceOf(RemoteActorError);
    expect((badReply as RemoteActorError).remoteName).toBe('ReplyValidationError');
    // A malformed tell is dropped and counted, never a crash: the count is unchanged and no failure is seen.
    const failures: SupervisorEvent[] = [];
    const off = system.on((e) => failures.push(e));
    const before = (await echo.ask('count', undefined)).count;
    echo.tell('record', { value: 'x' } as never);
    echo.tell('record', { value: 1 });
    await eventually(
      async () => (await echo.ask('count', undefined)).count,
      (c) => c === before + 1,
    );
    expect((await echo.ask('count', undefined)).count).toBe(before + 1);
    off();
    expect(failures).toEqual([]);
  });

  it('round-trips a 20 MB payload in both directions (chunked over NATS)', async () => {
    const data = seededDoubles(2_500_000, 17);
    let expectedSum = 0;
    for (let i = 0; i < data.length; i++) expectedSum += data[i];
    const reply = await echo.ask('blob', { data }, { timeoutMs: 60_000 });
    expect(reply.data).toBeInstanceOf(Float64Array);
    expect(reply.data.length).toBe(data.length);
    expect(reply.sum).toBe(expectedSum);
    expect(
      Buffer.compare(
        Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength),
        Buffer.from(data.buffer),
      ),
    ).toBe(0);
    const made = await echo.ask('makeBlob', { length: 2_600_000, seed: 5 }, { timeoutMs: 60_000 });
    expect(made.length).toBe(2_600_000);
    expect(
      Buffer.compare(
        Buffer.from(made.buffer, made.byteOffset, made.byteLength),
        Buffer.from(seededDoubles(2_600_000, 5).buffer),
      ),
    ).toBe(0);
  }, 90_000);

  it('round-trips every typed array kind with its type and values', async () => {
    for (const [seed, length] of [
      [1, 0],
      [2, 1],
      [3, 7],
      [4, 1000],
    ] as const) {
      const bundle = randomBundle(seed, length);
      const back = await echo.ask('typed', bundle);
      for (const key of Object.keys(bundle) as (keyof TypedBundle)[]) {
        expect(back[key].constructor).toBe(bundle[key].constructor);
        expect(Array.from(back[key] as ArrayLike<number | bigint>)).toEqual(
          Array.from(bundle[key] as ArrayLike<number | bigint>),
        );
      }
    }
  });

  it('streams bulk data by pulling with credits, in order, within the producer buffer', async () => {
    const total = 50;
    const producer = await system.spawn(echoSpec, at(20), {
      config: { items: total, capacity: 4 },
    });
    const seen: number[] = [];
    for await (const item of pull<Item>(producer, 'pull', { credits: 3, waitMs: 500 })) {
      expect(item.values).toBeInstanceOf(Float32Array);
      expect(item.values[0]).toBe(item.seq);
      seen.push(item.seq);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    const stats = (await producer.ask('stats', undefined)) as {
      maxBuffered: number;
      capacity: number;
    };
    expect(stats.maxBuffered).toBeLessThanOrEqual(stats.capacity);
    await producer.stop();
  }, 60_000);

  it('drains: finishes accepted messages, runs onStop, then has no responder', async () => {
    const ref = await system.spawn<typeof EchoProtocol>(echoSpec, at(30), {
      config: { recorder: recorder.address },
    });
    const asks = [1, 2, 3, 4, 5].map((value) =>
      ref.ask('slow', { ms: 250, value }, { timeoutMs: 30_000 }),
    );
    for (let v = 0; v < 3; v++) ref.tell('record', { value: v });
    // Drain while the first ask runs: the other four and the tells are still queued behind it.
    await eventually(
      () => events(30),
      (list) => list.some((e) => e.kind === 'slow' && e.value === 1),
    );
    await ref.drain();
    expect(await Promise.all(asks)).toEqual([1, 2, 3, 4, 5]);
    const mine = await eventually(
      () => events(30),
      (list) => list.some((e) => e.kind === 'stopped'),
    );
    const stopped = mine.filter((e) => e.kind === 'stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0].value).toBe(3);
    expect(mine.at(-1)!.kind).toBe('stopped');
    const after = await system
      .ask(at(30), 'echo', { n: 1 }, { timeoutMs: 3000 })
      .catch((e: unknown) => e);
    expect(after).toBeInstanceOf(NoResponderError);
    expect(ref.state).toBe('stopped');
  }, 60_000);

  it('stop refuses queued asks with ActorStoppedError and finishes the running one', async () => {
    const ref = await system.spawn<typeof EchoProtocol>(echoSpec, at(31), {
      config: { recorder: recorder.address },
    });
    const running = ref.ask('slow', { ms: 1500, value: 1 }, { timeoutMs: 30_000 });
    const queued = [2, 3, 4].map((value) =>
      ref.ask('slow', { ms: 1500, value }, { timeoutMs: 30_000 }).catch((e: unknown) => e),
    );
    // Stop only once the first ask is running (the others are then queued behind it).
    await eventually(
      () => events(31),
      (list) => list.some((e) => e.kind === 'slow' && e.value === 1),
    );
    await ref.stop();
    expect(await running).toBe(1);
    for (const outcome of await Promise.all(queued))
      expect(outcome).toBeInstanceOf(ActorStoppedError);
    expect((await events(31)).filter((e) => e.kind === 'slow').map((e) => e.value)).toEqual([1]);
  }, 60_000);

  it('restarts an actor whose tell handler threw, telling the supervisor the cause', async () => {
    const address = at(40);
    const ref = await system.spawn<typeof EchoProtocol>(echoSpec, address, {
      restart: { restart: 'on-failure', initialDelayMs: 10 },
    });
    ref.tell('record', { value: 1 });
    ref.tell('record', { value: 2 });
    const before = await eventually(
      () => ref.ask('count', undefined),
      (c) => c.count === 2,
    );
    expect(before.count).toBe(2);
    const failure = system.supervisor.waitFor(
      (e) => e.type === 'failure' && e.address.index === 40,
    );
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 40,
    );
    ref.tell('crash', { message: 'kaboom' });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('handler');
    expect(event.type === 'failure' && event.cause.message).toBe('kaboom');
    expect(event.address).toEqual(address);
    await restarted;
    const after = await ref.ask('count', undefined);
    expect(after.count).toBe(0);
    expect(after.instance).not.toBe(before.instance);
    expect(ref.state).toBe('running');
    await ref.stop();
  }, 60_000);

  it('reports a start failure as ActorStartError from spawn, naming the cause', async () => {
    const error = await system
      .spawn(echoSpec, at(50), { config: { failStart: true } })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('ActorStartError');
    expect((error as Error).message).toMatch(/refusing to start/);
    const badConfig = await system
      .spawn(echoSpec, at(51), { config: { items: -1 } })
      .catch((e: unknown) => e);
    expect((badConfig as Error).message).toMatch(/items/);
    expect(await system.ask(at(50), 'echo', { n: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
      NoResponderError,
    );
  }, 60_000);
});
