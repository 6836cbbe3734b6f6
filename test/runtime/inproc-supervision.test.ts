// Kills actors' worker threads (terminate from outside, process.exit and an uncaught error inside) and checks
// the supervisor is told the cause and applies the policy: restart, never, and max restarts escalating.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorStoppedError, NoResponderError } from '../../runtime/actor-errors.js';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem, type ActorRef } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import type { SupervisorEvent } from '../../runtime/supervisor.js';
import type { EchoProtocol } from './fixtures/conformance-actors.js';

const echoSpec = {
  module: new URL('./fixtures/conformance-actors.ts', import.meta.url),
  export: 'EchoActor',
};
const job = 'inproc-sup';
const at = (index: number): Address => ({ job, role: 'echo', index });

describe('supervision of worker-thread actors', () => {
  let system: ActorSystem;
  const seen: SupervisorEvent[] = [];

  beforeAll(async () => {
    system = await ActorSystem.start({ transport: 'inproc', logger: silentLogger });
    system.on((e) => seen.push(e));
  });

  afterAll(async () => {
    await system?.shutdown();
  });

  const fast = { restart: 'on-failure', initialDelayMs: 10, maxDelayMs: 50 } as const;

  async function spawn(
    index: number,
    restart: Parameters<ActorSystem['spawn']>[2] = {},
  ): Promise<ActorRef<typeof EchoProtocol>> {
    return system.spawn<typeof EchoProtocol>(echoSpec, at(index), restart);
  }

  it('restarts an actor whose worker thread was terminated, with the exit as cause', async () => {
    const ref = await spawn(1, { restart: fast });
    const first = await ref.ask('count', undefined);
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 1);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 1,
    );
    await ref.handle!.worker!.terminate();
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('thread-exit');
    expect(event.type === 'failure' && event.cause.message).toMatch(
      /worker thread exited with code 1/,
    );
    await restarted;
    const second = await ref.ask('count', undefined);
    expect(second.threadId).not.toBe(first.threadId);
    expect(ref.state).toBe('running');
  }, 60_000);

  it('reports process.exit inside the worker with its exit code', async () => {
    const ref = await spawn(2, { restart: fast });
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 2);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 2,
    );
    ref.tell('exit', { code: 7 });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('thread-exit');
    expect(event.type === 'failure' && event.cause.message).toMatch(/code 7/);
    await restarted;
    expect(await ref.ask('add', { a: 2, b: 3 })).toEqual({ sum: 5 });
  }, 60_000);

  it('reports an uncaught error thrown in the worker as thread-error with that error', async () => {
    const ref = await spawn(3, { restart: fast });
    const failure = system.supervisor.waitFor((e) => e.type === 'failure' && e.address.index === 3);
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 3,
    );
    ref.tell('asyncCrash', { message: 'timer went off' });
    const event = await failure;
    expect(event.type === 'failure' && event.kind).toBe('thread-error');
    expect(event.type === 'failure' && event.cause.message).toBe('timer went off');
    await restarted;
    expect(await ref.ask('echo', { n: 1 })).toEqual({ n: 1 });
  }, 60_000);

  it('fails asks pending on a thread that dies with ActorStoppedError', async () => {
    const ref = await spawn(4, { restart: fast });
    const pending = ref
      .ask('slow', { ms: 20_000, value: 1 }, { timeoutMs: 30_000 })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const restarted = system.supervisor.waitFor(
      (e) => e.type === 'restarted' && e.address.index === 4,
    );
    await ref.handle!.worker!.terminate();
    expect(await pending).toBeInstanceOf(ActorStoppedError);
    await restarted;
  }, 60_000);

  it("leaves an actor down under policy 'never'", async () => {
    const ref = await spawn(5, { restart: { restart: 'never' } });
    const gaveUp = system.supervisor.waitFor((e) => e.type === 'gave-up' && e.address.index === 5);
    await ref.handle!.worker!.terminate();
    const event = await gaveUp;
    expect(event.type === 'gave-up' && event.reason).toBe('never');
    expect(event.type === 'gave-up' && event.kind).toBe('thread-exit');
    expect(ref.state).toBe('down');
    expect(await ref.ask('echo', { n: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
      NoResponderError,
    );
    expect(seen.some((e) => e.type === 'restarting' && e.address.index === 5)).toBe(false);
  }, 60_000);

  it('escalates after max restarts within the window, backing off between them', async () => {
    const ref = await spawn(6, {
      restart: {
        restart: 'on-failure',
        initialDelayMs: 10,
        maxDelayMs: 1000,
        maxRestarts: 2,
        windowMs: 60_000,
      },
    });
    const escalated = system.supervisor.waitFor(
      (e) => e.type === 'escalated' && e.address.index === 6,
    );
    for (let round = 1; round <= 2; round++) {
      const restarted = system.supervisor.waitFor(
        (e) => e.type === 'restarted' && e.address.index === 6,
      );
      await ref.handle!.worker!.terminate();
      await restarted;
    }
    await ref.handle!.worker!.terminate();
    const event = await escalated;
    expect(event.type === 'escalated' && event.restarts).toBe(2);
    const delays = seen
      .filter((e) => e.type === 'restarting' && e.address.index === 6)
      .map((e) => (e.type === 'restarting' ? e.delayMs : 0));
    expect(delays).toEqual([10, 20]);
    expect(ref.state).toBe('down');
    expect(await ref.ask('echo', { n: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
      NoResponderError,
    );
  }, 60_000);
});
