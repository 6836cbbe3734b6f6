// NATS actors in child processes: SIGKILL one, crash one, hang one (missed heartbeats), and check the
// supervisor is told the cause and applies the policy (restart answers again, 'never' stays down, max escalates).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoResponderError } from '../../runtime/actor-errors.js';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem, type ActorRef, type SpawnOptions } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import type { EchoProtocol } from './fixtures/conformance-actors.js';

const echoSpec = {
  module: new URL('./fixtures/conformance-actors.ts', import.meta.url),
  export: 'EchoActor',
};
const job = 'nats-sup';
const at = (index: number): Address => ({ job, role: 'echo', index });

function exited(ref: ActorRef<typeof EchoProtocol>): Promise<void> {
  const child = ref.handle!.process!;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('supervision of NATS actors in child processes', () => {
  let server: NatsServer;
  let system: ActorSystem;

  beforeAll(async () => {
    server = await startNatsServer({ maxPayloadBytes: 1024 * 1024 });
    system = await ActorSystem.start({
      transport: 'nats',
      nats: { servers: server.url },
      logger: silentLogger,
    });
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
    await server?.stop();
  });

  const fast = { restart: 'on-failure', initialDelayMs: 10, maxDelayMs: 100 } as const;

  function spawn(
    index: number,
    options: SpawnOptions = {},
  ): Promise<ActorRef<typeof EchoProtocol>> {
    return system.spawn<typeof EchoProtocol>(echoSpec, at(index), {
      placement: 'process',
      ...options,
    });
  }

  it('restarts a SIGKILLed actor process; the new process answers', async () => {
    const ref = await spawn(1, { restart: fast });
    const first = await ref.ask('count', undefined);
    expect(first.pid).toBe(ref.handle!.process!.pid);
    expect(first.pid).not.toBe(process.pid);
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 1);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 1,
    );
    ref.handle!.process!.kill('SIGKILL');
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('process-exit');
    expect(event.type === 'failure' && event.cause.message).toMatch(
      new RegExp(`actor process ${first.pid} was killed by SIGKILL`),
    );
    await restarted;
    const second = await ref.ask('count', undefined, { timeoutMs: 30_000 });
    expect(second.pid).not.toBe(first.pid);
    expect(await ref.ask('add', { a: 20, b: 22 })).toEqual({ sum: 42 });
  }, 90_000);

  it('restarts a child whose tell handler threw, with the thrown error as cause', async () => {
    const ref = await spawn(2, { restart: fast });
    const first = await ref.ask('count', undefined);
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 2);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 2,
    );
    ref.tell('crash', { message: 'child handler broke' });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('handler');
    expect(event.type === 'failure' && event.cause.message).toBe('child handler broke');
    await restarted;
    expect((await ref.ask('count', undefined)).pid).not.toBe(first.pid);
  }, 90_000);

  it('reports an uncaught error in the child with that error in the cause', async () => {
    const ref = await spawn(3, { restart: fast });
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 3);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 3,
    );
    ref.tell('asyncCrash', { message: 'late throw' });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('process-exit');
    expect(event.type === 'failure' && event.cause.message).toMatch(
      /exited with code 1: late throw/,
    );
    await restarted;
    expect(await ref.ask('echo', { n: 2 })).toEqual({ n: 2 });
  }, 90_000);

  it('kills and restarts a hung process that stopped sending heartbeats', async () => {
    const ref = await spawn(4, { restart: fast, heartbeatMs: 250, missedHeartbeats: 8 });
    const first = await ref.ask('count', undefined);
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 4);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 4,
    );
    ref.tell('hang', { ms: 60_000 });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('heartbeat');
    expect(event.type === 'failure' && event.cause.message).toMatch(/sent no heartbeat for \d+ ms/);
    await restarted;
    expect((await ref.ask('count', undefined, { timeoutMs: 30_000 })).pid).not.toBe(first.pid);
  }, 90_000);

  it("leaves a killed process down under policy 'never'", async () => {
    const ref = await spawn(5, { restart: { restart: 'never' } });
    const gaveUp = system.supervisor.waitFor((e) => e.type === 'gave-up' && e.address.index === 5);
    ref.handle!.process!.kill('SIGKILL');
    const event = await gaveUp;
    expect(event.type === 'gave-up' && event.reason).toBe('never');
    expect(event.type === 'gave-up' && event.cause.message).toMatch(/SIGKILL/);
    expect(ref.state).toBe('down');
    expect(await askUntilNoResponder(ref)).toBeInstanceOf(NoResponderError);
  }, 90_000);

  it('escalates after max restarts', async () => {
    const ref = await spawn(6, {
      restart: { restart: 'on-failure', initialDelayMs: 10, maxRestarts: 1, windowMs: 120_000 },
    });
    const escalated = system.supervisor.waitFor(
      (e) => e.type === 'escalated' && e.address.index === 6,
    );
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 6,
    );
    ref.handle!.process!.kill('SIGKILL');
    await restarted;
    const second = ref.handle!.process!;
    second.kill('SIGKILL');
    const event = await escalated;
    expect(event.type === 'escalated' && event.restarts).toBe(1);
    expect(ref.state).toBe('down');
    expect(await askUntilNoResponder(ref)).toBeInstanceOf(NoResponderError);
  }, 90_000);

  it('drains a child process: it exits with code 0 and its address goes quiet', async () => {
    const ref = await spawn(7, {});
    const child = ref.handle!.process!;
    const gone = exited(ref);
    const asks = [1, 2, 3].map((value) =>
      ref.ask('slow', { ms: 50, value }, { timeoutMs: 30_000 }),
    );
    await ref.ask('echo', { n: 0 });
    await ref.drain();
    expect(await Promise.all(asks)).toEqual([1, 2, 3]);
    await gone;
    expect(child.exitCode).toBe(0);
    expect(await system.ask(at(7), 'echo', { n: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
      NoResponderError,
    );
  }, 90_000);
});

/**
 * The server drops a killed client's interest once it sees the socket close, which on a loaded
 * machine can come after the supervisor saw the exit: ask with short timeouts until it does.
 */
async function askUntilNoResponder(ref: {
  ask(verb: 'echo', msg: { n: number }, o?: { timeoutMs: number }): Promise<unknown>;
}): Promise<unknown> {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    last = await ref.ask('echo', { n: 1 }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    if (last instanceof NoResponderError) return last;
  }
  return last;
}
