// The credit-based pull primitive on its own: bounded buffer with backpressure, waits bounded by waitMs,
// done after close, and random producer/consumer pacing losing or reordering nothing.
import { describe, expect, it } from 'vitest';
import {
  pull,
  PullSource,
  PullSourceClosedError,
  type PullBatch,
  type PullRequest,
} from '../../runtime/pull-stream.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

/** An asker that calls the source directly, as the actor's pull handler would. */
function direct<T>(source: PullSource<T>, log?: PullRequest[]) {
  return {
    ask: async (_verb: string, msg: PullRequest): Promise<PullBatch<T>> => {
      log?.push(msg);
      return source.take(msg.credits, msg.waitMs);
    },
  };
}

describe('PullSource', () => {
  it('holds at most capacity items: push waits until a take makes room', async () => {
    const source = new PullSource<number>({ capacity: 2 });
    await source.push(1);
    await source.push(2);
    let third = false;
    const pushing = source.push(3).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    expect(source.buffered).toBe(2);
    expect(await source.take(1, 0)).toEqual({ items: [1], done: false });
    await pushing;
    expect(third).toBe(true);
    expect(await source.take(10, 0)).toEqual({ items: [2, 3], done: false });
  });

  it('answers an empty take after waitMs, and wakes a waiting take on push', async () => {
    const source = new PullSource<string>();
    expect(await source.take(3, 10)).toEqual({ items: [], done: false });
    const waiting = source.take(3, 10_000);
    await source.push('x');
    expect(await waiting).toEqual({ items: ['x'], done: false });
  });

  it('reports done once closed and empty; push after close fails', async () => {
    const source = new PullSource<number>();
    await source.push(1);
    source.close();
    expect(await source.take(5, 1000)).toEqual({ items: [1], done: true });
    expect(await source.take(5, 1000)).toEqual({ items: [], done: true });
    await expect(source.push(2)).rejects.toBeInstanceOf(PullSourceClosedError);
    const other = new PullSource<number>();
    const pending = other.take(1, 10_000);
    other.close();
    expect(await pending).toEqual({ items: [], done: true });
  });

  it('delivers every item once and in order under random pacing (40 seeds)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = rng(seed);
      const capacity = 1 + Math.floor(next() * 5);
      const credits = 1 + Math.floor(next() * 6);
      const total = Math.floor(next() * 120);
      const source = new PullSource<number>({ capacity });
      const requests: PullRequest[] = [];
      let maxBuffered = 0;
      const producer = (async () => {
        for (let i = 0; i < total; i++) {
          if (next() < 0.2) await new Promise((r) => setTimeout(r, 0));
          await source.push(i);
          maxBuffered = Math.max(maxBuffered, source.buffered);
        }
        source.close();
      })();
      const seen: number[] = [];
      for await (const item of pull<number>(direct(source, requests), 'pull', {
        credits,
        waitMs: 50,
        prefetch: next() < 0.5,
      })) {
        seen.push(item);
        if (next() < 0.1) await new Promise((r) => setTimeout(r, 0));
      }
      await producer;
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(maxBuffered).toBeLessThanOrEqual(capacity);
      for (const r of requests) expect(r.credits).toBe(credits);
    }
  });
});
