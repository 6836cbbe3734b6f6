// The coordinator's status board: health from heartbeats within the window (checked against a simple
// model over random event sequences), restarts and states, checkpoints and evaluations in the JSON.
import { describe, expect, it } from 'vitest';
import { JobStatusBoard, statusRoutes } from '../../../actors/coordinator/job-status.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('JobStatusBoard', () => {
  it('counts an actor healthy exactly while it is up and its last beat is within the window', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = rng(seed);
      let now = 1_000_000;
      const windowMs = 500 + Math.floor(next() * 3000);
      const actors = Array.from({ length: 1 + Math.floor(next() * 6) }, (_, i) => ({
        role: ['ps', 'sampler', 'trainer'][i % 3],
        index: i,
      }));
      const board = new JobStatusBoard({
        job: 'j',
        epochs: 3,
        actors,
        heartbeatWindowMs: windowMs,
        nowMs: () => now,
      });
      // The model: per actor, its state and the time of its last beat.
      const model = actors.map(() => ({ up: false, beat: -Infinity }));
      for (let step = 0; step < 200; step++) {
        now += Math.floor(next() * 800);
        const i = Math.floor(next() * actors.length);
        const a = actors[i];
        const r = next();
        if (r < 0.4) {
          board.heartbeat(a.role, a.index);
          model[i].beat = now;
        } else if (r < 0.55) {
          board.up(a.role, a.index, 100 + i);
          model[i].up = true;
        } else if (r < 0.65) {
          board.actorEvent(a.role, a.index, 'actor-lost', 'no heartbeat');
          model[i].up = false;
        } else if (r < 0.75) {
          board.actorEvent(a.role, a.index, 'actor-back', 'answering again');
          model[i].up = true;
        } else if (r < 0.8) {
          board.actorEvent(a.role, a.index, 'actor-restarted', 'pid changed', 200 + i);
          model[i].up = true;
        }
        const expected = model.filter((m) => m.up && now - m.beat <= windowMs).length;
        expect(board.healthyCount()).toBe(expected);
        const snap = board.snapshot();
        expect(snap.actors_healthy).toBe(expected);
        expect(snap.actors.map((x) => x.healthy)).toEqual(
          model.map((m) => m.up && now - m.beat <= windowMs),
        );
      }
    }
  });

  it('records restarts, progress, checkpoints and evaluations; a final state sticks', () => {
    let now = 10_000;
    const board = new JobStatusBoard({
      job: 'cora',
      epochs: 5,
      actors: [
        { role: 'ps', index: 0 },
        { role: 'trainer', index: 0 },
      ],
      nowMs: () => now,
    });
    let s = board.snapshot();
    expect(s.state).toBe('starting');
    expect(s.epoch).toBe(-1);
    expect(s.actors_expected).toBe(2);
    expect(s.actors_healthy).toBe(0);
    expect(s.last_checkpoint).toBeNull();
    expect(s.last_eval).toBeNull();
    board.up('ps', 0, 11);
    board.up('trainer', 0, 12);
    // Without a heartbeat window, health is the supervisor's word.
    expect(board.healthyCount()).toBe(2);
    board.setState('training');
    board.progress(2, 30);
    now += 1500;
    board.actorEvent('trainer', 0, 'restarted', 'restart 1');
    board.checkpointed({ path: '/ckpt/v30', epoch: 2, step: 30, duration_s: 0.25 });
    board.evaluated(2, { accuracy: 0.7 }, { accuracy: 0.69 });
    s = board.snapshot();
    expect(s).toMatchObject({
      job: 'cora',
      state: 'training',
      epoch: 2,
      epochs: 5,
      step: 30,
      uptime_s: 1.5,
      last_checkpoint: { path: '/ckpt/v30', epoch: 2, step: 30, duration_s: 0.25, at_s: 11.5 },
      last_eval: { epoch: 2, val: { accuracy: 0.7 }, test: { accuracy: 0.69 } },
    });
    expect(s.actors[1]).toMatchObject({
      role: 'trainer',
      state: 'up',
      restarts: 1,
      pid: 12,
      last_event: { kind: 'restarted', detail: 'restart 1', at_s: 11.5 },
    });
    board.setState('failed', 'shards disagree');
    board.setState('training');
    s = board.snapshot();
    expect(s.state).toBe('failed');
    expect(s.error).toBe('shards disagree');
  });

  it('serves the board as /status and says 503 on /healthz once the job failed', async () => {
    const board = new JobStatusBoard({ job: 'j', epochs: 1, actors: [] });
    const routes = statusRoutes(board);
    const ok = await routes['/healthz']();
    expect(ok.status ?? 200).toBe(200);
    expect(JSON.parse((await routes['/status']()).body).job).toBe('j');
    board.setState('failed', 'boom');
    expect((await routes['/healthz']()).status).toBe(503);
    expect(JSON.parse((await routes['/status']()).body)).toMatchObject({
      state: 'failed',
      error: 'boom',
    });
  });

  it('says "disconnected" while the NATS connection is down, then the phase it was in', () => {
    let now = 50_000;
    const board = new JobStatusBoard({
      job: 'j',
      epochs: 2,
      actors: [{ role: 'ps', index: 0 }],
      heartbeatWindowMs: 5000,
      nowMs: () => now,
    });
    board.setState('training');
    board.connection(false);
    now += 3000;
    board.connection(false);
    let s = board.snapshot();
    expect(s.state).toBe('disconnected');
    expect(s.disconnected_since_s).toBe(50);
    expect(s.actors_healthy).toBe(0);
    board.setState('evaluating');
    expect(board.snapshot().state).toBe('disconnected');
    board.connection(true);
    s = board.snapshot();
    expect(s.state).toBe('evaluating');
    expect(s.disconnected_since_s).toBeUndefined();
    // A final state is never hidden behind a lost connection.
    board.connection(false);
    board.setState('failed', 'gave up');
    expect(board.snapshot().state).toBe('failed');
  });
});
