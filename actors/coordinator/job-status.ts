// What the coordinator's /status answers: the job's phase, epoch and step, every actor with its health,
// and the last checkpoint and evaluation; the coordinator records events here as they happen.
import { jsonResponse, type RouteHandler } from '../../runtime/metrics-server.js';
import { withRelationBlocks, type RelationResults } from '../plan/eval-relations.js';

/**
 * The phase a job is in; `finished` and `failed` are final. `disconnected`: the coordinator lost its
 * NATS server and nothing moves until it reconnects (the phase it was in resumes then).
 */
export type JobState =
  'starting' | 'training' | 'evaluating' | 'checkpointing' | 'disconnected' | 'finished' | 'failed';

/** `up` answers; `lost` missed its heartbeats or failed; `stopped` was shut down with the job. */
export type ActorState = 'starting' | 'up' | 'lost' | 'stopped';

export interface ActorStatus {
  role: string;
  index: number;
  state: ActorState;
  /** Up, and (where heartbeats are tracked) its last heartbeat is within the window. */
  healthy: boolean;
  /** Restarts the coordinator or supervisor noticed. */
  restarts: number;
  pid?: number;
  /** Unix seconds of its last heartbeat, where heartbeats are tracked. */
  last_heartbeat_s?: number;
  heartbeat_age_s?: number;
  /** What happened to it last (lost, back, restarted), with when. */
  last_event?: { kind: string; detail: string; at_s: number };
}

export interface CheckpointStatus {
  path: string;
  epoch: number;
  step: number;
  at_s: number;
  duration_s: number;
}

export interface JobStatus {
  job: string;
  state: JobState;
  /** The epoch in progress, or the last finished one once the job finished (-1 before the first). */
  epoch: number;
  epochs: number;
  /** Steps (mini-batches) completed over the whole job. */
  step: number;
  started_at_s: number;
  updated_at_s: number;
  uptime_s: number;
  actors_expected: number;
  actors_healthy: number;
  actors: ActorStatus[];
  last_checkpoint: CheckpointStatus | null;
  last_eval: {
    epoch: number;
    at_s: number;
    val: Record<string, number>;
    test?: Record<string, number>;
    /** eval.relations: each listed relation's metrics, one block each. */
    relations?: RelationResults;
  } | null;
  /** Why the job failed, when it did. */
  error?: string;
  /** While the coordinator's NATS connection is down: since when (Unix seconds). */
  disconnected_since_s?: number;
}

interface Entry {
  role: string;
  index: number;
  state: ActorState;
  restarts: number;
  pid?: number;
  lastBeatMs?: number;
  lastEvent?: { kind: string; detail: string; at_s: number };
}

export interface JobStatusOptions {
  job: string;
  epochs: number;
  actors: readonly { role: string; index: number }[];
  /**
   * Heartbeats older than this make an actor unhealthy (ms). Absent: actors hosted in this process,
   * whose health is their supervisor's word alone.
   */
  heartbeatWindowMs?: number;
  /** Clock (ms since the epoch); tests pass their own. */
  nowMs?: () => number;
}

const key = (role: string, index: number) => `${role}.${index}`;

/** The coordinator's live record of a job, turned into JSON on demand. */
export class JobStatusBoard {
  private state: JobState = 'starting';
  private epoch = -1;
  private step = 0;
  private error?: string;
  private checkpoint: CheckpointStatus | null = null;
  private evaluation: JobStatus['last_eval'] = null;
  /** When the coordinator's NATS connection went down (undefined while connected). */
  private disconnectedMs?: number;
  private readonly entries = new Map<string, Entry>();
  private readonly startedMs: number;
  private updatedMs: number;
  private readonly now: () => number;

  constructor(private readonly options: JobStatusOptions) {
    this.now = options.nowMs ?? Date.now;
    this.startedMs = this.now();
    this.updatedMs = this.startedMs;
    for (const a of options.actors)
      this.entries.set(key(a.role, a.index), {
        role: a.role,
        index: a.index,
        state: 'starting',
        restarts: 0,
      });
  }

  private touch(): void {
    this.updatedMs = this.now();
  }

  private entry(role: string, index: number): Entry {
    let e = this.entries.get(key(role, index));
    if (!e) {
      e = { role, index, state: 'starting', restarts: 0 };
      this.entries.set(key(role, index), e);
    }
    return e;
  }

  get jobState(): JobState {
    return this.state;
  }

  /** Moves the job to `state`; a final state stays (a late event cannot revive a failed job). */
  setState(state: JobState, error?: string): void {
    if (this.state === 'finished' || this.state === 'failed') return;
    this.state = state;
    if (error !== undefined) this.error = error;
    if (state === 'finished')
      for (const e of this.entries.values()) if (e.state !== 'lost') e.state = 'stopped';
    this.touch();
  }

  /** The coordinator's NATS connection went down (false) or came back (true). */
  connection(connected: boolean): void {
    if (connected) this.disconnectedMs = undefined;
    else this.disconnectedMs ??= this.now();
    this.touch();
  }

  progress(epoch: number, step: number): void {
    this.epoch = epoch;
    this.step = step;
    this.touch();
  }

  /** The actor answered (first hello, or again after it was lost). */
  up(role: string, index: number, pid?: number): void {
    const e = this.entry(role, index);
    e.state = 'up';
    if (pid !== undefined) e.pid = pid;
    this.touch();
  }

  heartbeat(role: string, index: number): void {
    this.entry(role, index).lastBeatMs = this.now();
  }

  /** A membership event: `actor-lost` marks it down, `actor-back` up, `actor-restarted` counts a restart. */
  actorEvent(role: string, index: number, kind: string, detail: string, pid?: number): void {
    const e = this.entry(role, index);
    if (kind === 'actor-lost' || kind === 'failure' || kind === 'gave-up') e.state = 'lost';
    else if (kind === 'actor-back') e.state = 'up';
    else if (kind === 'actor-restarted' || kind === 'restarted') {
      e.restarts++;
      e.state = 'up';
    }
    if (pid !== undefined) e.pid = pid;
    e.lastEvent = { kind, detail, at_s: this.now() / 1000 };
    this.touch();
  }

  checkpointed(c: Omit<CheckpointStatus, 'at_s'>): void {
    this.checkpoint = { ...c, at_s: this.now() / 1000 };
    this.touch();
  }

  evaluated(epoch: number, val: Record<string, number>, test?: Record<string, number>): void {
    const b = withRelationBlocks(val, test);
    this.evaluation = {
      epoch,
      at_s: this.now() / 1000,
      val: b.val ?? {},
      ...(b.test ? { test: b.test } : {}),
      ...(b.relations ? { relations: b.relations } : {}),
    };
    this.touch();
  }

  private healthy(e: Entry, nowMs: number): boolean {
    if (e.state !== 'up') return false;
    const window = this.options.heartbeatWindowMs;
    if (window === undefined) return true;
    return e.lastBeatMs !== undefined && nowMs - e.lastBeatMs <= window;
  }

  /** Actors healthy now (the coordinator's weft_coordinator_actors_healthy). */
  healthyCount(): number {
    const nowMs = this.now();
    let n = 0;
    for (const e of this.entries.values()) if (this.healthy(e, nowMs)) n++;
    return n;
  }

  snapshot(): JobStatus {
    const nowMs = this.now();
    const actors: ActorStatus[] = [...this.entries.values()].map((e) => ({
      role: e.role,
      index: e.index,
      state: e.state,
      healthy: this.healthy(e, nowMs),
      restarts: e.restarts,
      ...(e.pid !== undefined ? { pid: e.pid } : {}),
      ...(e.lastBeatMs !== undefined
        ? {
            last_heartbeat_s: e.lastBeatMs / 1000,
            heartbeat_age_s: Math.max(0, (nowMs - e.lastBeatMs) / 1000),
          }
        : {}),
      ...(e.lastEvent ? { last_event: { ...e.lastEvent } } : {}),
    }));
    const final = this.state === 'finished' || this.state === 'failed';
    const disconnected = this.disconnectedMs !== undefined && !final;
    return {
      job: this.options.job,
      state: disconnected ? 'disconnected' : this.state,
      epoch: this.epoch,
      epochs: this.options.epochs,
      step: this.step,
      started_at_s: this.startedMs / 1000,
      updated_at_s: this.updatedMs / 1000,
      uptime_s: (nowMs - this.startedMs) / 1000,
      actors_expected: this.entries.size,
      actors_healthy: actors.filter((a) => a.healthy).length,
      actors,
      last_checkpoint: this.checkpoint ? { ...this.checkpoint } : null,
      last_eval: this.evaluation,
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(disconnected ? { disconnected_since_s: this.disconnectedMs! / 1000 } : {}),
    };
  }
}

/**
 * The coordinator's extra routes next to /metrics: /status (the board as JSON) and /healthz (200
 * while the job runs, 503 once it failed).
 */
export function statusRoutes(board: JobStatusBoard): Record<string, RouteHandler> {
  return {
    '/status': () => jsonResponse(board.snapshot()),
    '/healthz': () =>
      board.jobState === 'failed'
        ? { status: 503, contentType: 'text/plain; charset=utf-8', body: 'job failed\n' }
        : { contentType: 'text/plain; charset=utf-8', body: 'ok\n' },
  };
}
