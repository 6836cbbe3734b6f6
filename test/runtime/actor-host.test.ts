// The transport-independent host on its own: one-at-a-time mailbox (or N), concurrent handlers bypassing it,
// validation before any handler runs, failures reported once, observers counting, start errors named.
import { describe, expect, it } from 'vitest';
import { Actor, on, type ActorContext } from '../../runtime/actor.js';
import { ActorHost, observeActors, type HostLink, type Reply } from '../../runtime/actor-host.js';
import { silentLogger } from '../../runtime/actor-log.js';
import { s } from '../../runtime/schema.js';
import type { FailureKind } from '../../runtime/supervisor.js';

const address = { job: 'host', role: 'unit', index: 0 };

function link(): HostLink & { failures: [FailureKind, Error][] } {
  const failures: [FailureKind, Error][] = [];
  return {
    failures,
    tell: () => undefined,
    ask: async () => undefined,
    fail: (kind, cause) => failures.push([kind, cause]),
    stopSelf: () => undefined,
  };
}

function asked(host: ActorHost, verb: string, body: unknown): Promise<Reply> {
  return new Promise((resolve) => host.receive(verb, body, undefined, resolve));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Log extends Actor {
  static override mailboxConcurrency = 1;
  readonly order: string[] = [];
  active = 0;
  maxActive = 0;
  readonly handlers = {
    work: on(s.object({ id: s.string(), ms: s.number() }), async ({ id, ms }) => {
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      this.order.push(`start ${id}`);
      await sleep(ms);
      this.order.push(`end ${id}`);
      this.active--;
      return id;
    }),
    peek: on(s.empty(), () => ({ order: [...this.order], maxActive: this.maxActive }), {
      concurrent: true,
    }),
    boom: on(s.empty(), () => {
      throw new Error('boom');
    }),
  };
}

class Wide extends Log {
  static override mailboxConcurrency = 3;
}

describe('ActorHost', () => {
  it('runs mailbox messages one at a time and in order', async () => {
    const host = await ActorHost.start(Log, address, {}, link(), silentLogger);
    const replies = await Promise.all(
      ['a', 'b', 'c'].map((id) => asked(host, 'work', { id, ms: 5 })),
    );
    expect(replies.map((r) => r.ok && r.body)).toEqual(['a', 'b', 'c']);
    const peek = (await asked(host, 'peek', undefined)) as {
      ok: true;
      body: { order: string[]; maxActive: number };
    };
    expect(peek.body.order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(peek.body.maxActive).toBe(1);
  });

  it('runs up to mailboxConcurrency at once, and concurrent handlers bypass a busy mailbox', async () => {
    const host = await ActorHost.start(Wide, address, {}, link(), silentLogger);
    const work = ['a', 'b', 'c', 'd', 'e'].map((id) => asked(host, 'work', { id, ms: 30 }));
    // peek is concurrent: it answers while the mailbox is full.
    const early = (await asked(host, 'peek', undefined)) as { ok: true; body: { order: string[] } };
    expect(early.body.order).toEqual(['start a', 'start b', 'start c']);
    await Promise.all(work);
    const late = (await asked(host, 'peek', undefined)) as {
      ok: true;
      body: { maxActive: number };
    };
    expect(late.body.maxActive).toBe(3);
  });

  it('validates before the handler and counts invalid messages; observers see everything', async () => {
    const seen: string[] = [];
    const off = observeActors({
      received: (_a, verb) => seen.push(`received ${verb}`),
      invalid: (_a, verb, field) => seen.push(`invalid ${verb} ${field}`),
      handled: (_a, verb, ms, ok) => seen.push(`handled ${verb} ${ok} ${ms >= 0}`),
      failed: (_a, kind) => seen.push(`failed ${kind}`),
    });
    try {
      const l = link();
      const host = await ActorHost.start(Log, address, {}, l, silentLogger);
      const bad = await asked(host, 'work', { id: 1, ms: 0 });
      expect(bad.ok === false && bad.error.kind).toBe('invalid');
      expect(bad.ok === false && bad.error.field).toBe('id');
      host.receive('work', { id: 'x' }, undefined); // tell, missing ms: dropped and counted
      host.receive('nope', {}, undefined);
      expect(host.stats.invalid).toBe(3);
      const threw = await asked(host, 'boom', undefined);
      expect(threw.ok === false && threw.error.kind).toBe('remote');
      expect(l.failures).toEqual([]); // an ask that throws is an error reply, not a failure
      host.receive('boom', undefined, undefined); // a tell that throws is a failure
      await sleep(5);
      expect(l.failures.map(([k, e]) => `${k} ${e.message}`)).toEqual(['handler boom']);
      const after = await asked(host, 'peek', undefined);
      expect(after.ok === false && after.error.kind).toBe('stopped');
      expect(seen).toEqual([
        'received work',
        'invalid work id',
        'received work',
        'invalid work ms',
        'received nope',
        'invalid nope verb',
        'received boom',
        'handled boom false true',
        'received boom',
        'failed handler',
        'handled boom false true',
        'received peek',
      ]);
    } finally {
      off();
    }
  });

  it('drain finishes queued work; stop refuses it', async () => {
    const host = await ActorHost.start(Log, address, {}, link(), silentLogger);
    const drained = ['a', 'b'].map((id) => asked(host, 'work', { id, ms: 10 }));
    await host.drain();
    expect((await Promise.all(drained)).map((r) => r.ok)).toEqual([true, true]);
    const refused = await asked(host, 'work', { id: 'c', ms: 1 });
    expect(refused.ok === false && refused.error.kind).toBe('stopped');

    const other = await ActorHost.start(Log, address, {}, link(), silentLogger);
    const first = asked(other, 'work', { id: 'a', ms: 20 });
    const queued = asked(other, 'work', { id: 'b', ms: 20 });
    await sleep(1);
    await other.stop();
    expect((await first).ok).toBe(true);
    const q = await queued;
    expect(q.ok === false && q.error.kind).toBe('stopped');
  });

  it('names the cause of a start failure', async () => {
    class NeedsConfig extends Actor<{ size: number }> {
      static override configSchema = s.object({ size: s.int({ min: 1 }) });
      readonly handlers = {};
    }
    await expect(
      ActorHost.start(NeedsConfig, address, { size: 0 }, link(), silentLogger),
    ).rejects.toThrow(/config\.size/);
    class NoHandlers extends Actor {
      readonly handlers = { oops: { fn: () => 1 } } as never;
    }
    await expect(ActorHost.start(NoHandlers, address, {}, link(), silentLogger)).rejects.toThrow(
      /needs a schema/,
    );
    class StopsEarly extends Actor {
      readonly handlers = {};
      constructor(ctx: ActorContext) {
        super(ctx);
        ctx.fail(new Error('gave up in constructor'));
      }
    }
    await expect(ActorHost.start(StopsEarly, address, {}, link(), silentLogger)).rejects.toThrow(
      /gave up in constructor/,
    );
  });
});
