// The restart policy as a function (against a reference over random histories) and the supervision tree:
// a child supervisor that gives up escalates, and its parent restarts the whole group.
import { describe, expect, it } from 'vitest';
import { Actor, on } from '../../runtime/actor.js';
import { NoResponderError } from '../../runtime/actor-errors.js';
import { silentLogger } from '../../runtime/actor-log.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { s } from '../../runtime/schema.js';
import {
  decideRestart,
  resolvePolicy,
  type RestartPolicy,
  type SupervisorEvent,
} from '../../runtime/supervisor.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

let instances = 0;

/** A main-thread actor: counts its messages, crashes on request. */
class Counter extends Actor {
  private count = 0;
  private readonly instance = ++instances;
  readonly handlers = {
    bump: on(s.empty(), () => {
      this.count++;
    }),
    get: on(s.empty(), () => ({ count: this.count, instance: this.instance })),
    crash: on(s.empty(), () => {
      throw new Error('counter crashed');
    }),
  };
}

describe('restart policy', () => {
  it('matches a reference decision over random policies and histories (1000 seeds)', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const next = rng(seed);
      const policy = resolvePolicy({
        restart: next() < 0.15 ? 'never' : 'on-failure',
        initialDelayMs: Math.floor(next() * 500) + 1,
        maxDelayMs: Math.floor(next() * 5000) + 1,
        backoffFactor: 1 + Math.floor(next() * 3),
        maxRestarts: Math.floor(next() * 6),
        windowMs: Math.floor(next() * 10_000) + 1,
      });
      const now = 1_000_000;
      const history = Array.from(
        { length: Math.floor(next() * 8) },
        () => now - Math.floor(next() * 20_000),
      );
      const decision = decideRestart(policy, history, now);
      const recent = history.filter((t) => now - t < policy.windowMs).length;
      if (policy.restart === 'never')
        expect(decision).toEqual({ action: 'give-up', reason: 'never' });
      else if (recent >= policy.maxRestarts)
        expect(decision).toEqual({ action: 'give-up', reason: 'exhausted' });
      else {
        let delay = policy.initialDelayMs;
        for (let i = 0; i < recent; i++) delay *= policy.backoffFactor;
        expect(decision).toEqual({
          action: 'restart',
          delayMs: Math.min(delay, policy.maxDelayMs),
          attempt: recent + 1,
        });
      }
    }
  });

  it('backs off exponentially up to the ceiling, and forgets restarts outside the window', () => {
    const policy = resolvePolicy({
      restart: 'on-failure',
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxRestarts: 10,
      windowMs: 60_000,
    });
    const delays: number[] = [];
    const history: number[] = [];
    for (let i = 0; i < 6; i++) {
      const d = decideRestart(policy, history, 1000 + i);
      if (d.action !== 'restart') throw new Error('expected a restart');
      delays.push(d.delayMs);
      history.push(1000 + i);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(decideRestart(policy, history, 1000 + 60_000 + 10)).toEqual({
      action: 'restart',
      delayMs: 100,
      attempt: 1,
    });
  });
});

describe('supervision tree', () => {
  it('restarts the whole group when a child supervisor escalates', async () => {
    const system = await ActorSystem.start({
      transport: 'inproc',
      logger: silentLogger,
      restart: { restart: 'on-failure', initialDelayMs: 5, maxRestarts: 5 },
    });
    try {
      const events: SupervisorEvent[] = [];
      system.on((e) => events.push(e));
      const group = system.supervisor.child('pair', {
        restart: 'on-failure',
        maxRestarts: 0,
      } satisfies RestartPolicy);
      const a = await system.spawn(
        Counter,
        { job: 'tree', role: 'c', index: 0 },
        { supervisor: group },
      );
      const b = await system.spawn(
        Counter,
        { job: 'tree', role: 'c', index: 1 },
        { supervisor: group },
      );
      b.tell('bump', undefined);
      b.tell('bump', undefined);
      const bBefore = (await b.ask('get', undefined)) as { count: number; instance: number };
      expect(bBefore.count).toBe(2);
      const groupRestarted = system.supervisor.waitFor(
        (e) => e.type === 'restarted' && e.supervisor === 'root',
      );
      a.tell('crash', undefined);
      await groupRestarted;
      // Both members are fresh instances now, though only one of them failed.
      const bAfter = (await b.ask('get', undefined)) as { count: number; instance: number };
      expect(bAfter.count).toBe(0);
      expect(bAfter.instance).not.toBe(bBefore.instance);
      expect(((await a.ask('get', undefined)) as { count: number }).count).toBe(0);
      const sequence = events.map(
        (e) => `${e.supervisor}:${e.type}${e.type === 'failure' ? `:${e.kind}` : ''}`,
      );
      expect(sequence).toEqual([
        'pair:failure:handler',
        'pair:escalated',
        'root:failure:escalation',
        'root:restarting',
        'root:restarted',
      ]);
      const escalation = events.find((e) => e.type === 'failure' && e.kind === 'escalation');
      expect(escalation?.type === 'failure' && escalation.cause.name).toBe(
        'SupervisionExhaustedError',
      );
      expect(escalation?.type === 'failure' && (escalation.cause.cause as Error).message).toBe(
        'counter crashed',
      );
    } finally {
      await system.shutdown();
    }
  });

  it("gives a group up when the parent's policy is 'never'", async () => {
    const system = await ActorSystem.start({
      transport: 'inproc',
      logger: silentLogger,
      restart: { restart: 'never' },
    });
    try {
      const group = system.supervisor.child('solo', { restart: 'on-failure', maxRestarts: 0 });
      const a = await system.spawn(
        Counter,
        { job: 'tree2', role: 'c', index: 0 },
        { supervisor: group },
      );
      const b = await system.spawn(
        Counter,
        { job: 'tree2', role: 'c', index: 1 },
        { supervisor: group },
      );
      const gaveUp = system.supervisor.waitFor(
        (e) => e.type === 'gave-up' && e.supervisor === 'root',
      );
      a.tell('crash', undefined);
      const event = await gaveUp;
      expect(event.type === 'gave-up' && event.reason).toBe('never');
      expect(a.state).toBe('down');
      expect(b.state).toBe('down');
      expect(await b.ask('get', undefined).catch((e: unknown) => e)).toBeInstanceOf(
        NoResponderError,
      );
    } finally {
      await system.shutdown();
    }
  });

  it('does not restart an actor that was stopped on purpose', async () => {
    const system = await ActorSystem.start({ transport: 'inproc', logger: silentLogger });
    try {
      const events: SupervisorEvent[] = [];
      system.on((e) => events.push(e));
      const a = await system.spawn(Counter, { job: 'tree3', role: 'c', index: 0 });
      await a.stop();
      expect(a.state).toBe('stopped');
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual([]);
      // The address is free again.
      const again = await system.spawn(Counter, { job: 'tree3', role: 'c', index: 0 });
      expect(((await again.ask('get', undefined)) as { count: number }).count).toBe(0);
    } finally {
      await system.shutdown();
    }
  });
});
