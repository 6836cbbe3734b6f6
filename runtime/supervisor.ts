// Supervision: failures of actors (a throwing handler, a dead thread or process, missed heartbeats) are
// reported to their supervisor, which applies a restart policy with back-off and escalates when it is exhausted.
import type { Address } from './address.js';
import { addressKey } from './address.js';
import { ActorError } from './actor-errors.js';
import type { Logger } from './actor-log.js';
import { silentLogger } from './actor-log.js';

/** What went wrong: the actor's own code, or the thread/process under it. */
export type FailureKind =
  | 'start' // constructor/onStart threw while restarting
  | 'handler' // a tell handler threw, or the actor called ctx.fail()
  | 'thread-exit' // its worker thread exited on its own
  | 'thread-error' // its worker thread died of an uncaught error
  | 'process-exit' // its child process exited or was killed
  | 'heartbeat' // its process stopped sending heartbeats
  | 'escalation'; // a child supervisor gave up on one of its actors

export interface RestartPolicy {
  /** 'never': report the failure and leave the actor down. 'on-failure': restart after a back-off. */
  readonly restart: 'never' | 'on-failure';
  /** First back-off (default 100 ms); doubles (backoffFactor) with each restart inside the window. */
  readonly initialDelayMs?: number;
  /** Back-off ceiling (default 30 s). */
  readonly maxDelayMs?: number;
  readonly backoffFactor?: number;
  /** At most this many restarts within windowMs (default 10 in 60 s); the next failure exhausts the policy. */
  readonly maxRestarts?: number;
  readonly windowMs?: number;
  /** When exhausted: 'escalate' to the parent supervisor (default; at the root: report and give up) or 'stop'. */
  readonly onExhausted?: 'escalate' | 'stop';
}

export const DEFAULT_RESTART_POLICY: Required<RestartPolicy> = {
  restart: 'on-failure',
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  backoffFactor: 2,
  maxRestarts: 10,
  windowMs: 60_000,
  onExhausted: 'escalate',
};

export function resolvePolicy(policy?: RestartPolicy): Required<RestartPolicy> {
  return { ...DEFAULT_RESTART_POLICY, ...(policy ?? {}) };
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'give-up'; reason: 'never' | 'exhausted' };

/**
 * The policy as a pure function: given the times of earlier restarts, restart now (after delayMs) or give up.
 * `attempt` counts restarts inside the window including this one; the delay grows with it.
 */
export function decideRestart(
  policy: Required<RestartPolicy>,
  restartTimesMs: readonly number[],
  nowMs: number,
): RestartDecision {
  if (policy.restart === 'never') return { action: 'give-up', reason: 'never' };
  let recent = 0;
  for (const t of restartTimesMs) if (nowMs - t < policy.windowMs) recent++;
  if (recent >= policy.maxRestarts) return { action: 'give-up', reason: 'exhausted' };
  const delayMs = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * Math.pow(policy.backoffFactor, recent),
  );
  return { action: 'restart', delayMs, attempt: recent + 1 };
}

interface EventBase {
  /** Name of the supervisor that handled it. */
  readonly supervisor: string;
  readonly address: Address;
  readonly atMs: number;
}

export type SupervisorEvent =
  | (EventBase & { readonly type: 'failure'; readonly kind: FailureKind; readonly cause: Error })
  | (EventBase & {
      readonly type: 'restarting';
      readonly kind: FailureKind;
      readonly cause: Error;
      readonly attempt: number;
      readonly delayMs: number;
    })
  | (EventBase & { readonly type: 'restarted'; readonly attempt: number })
  | (EventBase & {
      readonly type: 'gave-up';
      readonly kind: FailureKind;
      readonly cause: Error;
      readonly reason: 'never' | 'exhausted';
    })
  | (EventBase & {
      readonly type: 'escalated';
      readonly kind: FailureKind;
      readonly cause: Error;
      readonly restarts: number;
    });

export type SupervisorListener = (event: SupervisorEvent) => void;

/** Something a supervisor can restart: an actor (or, for escalation, a whole child supervisor). */
export interface Supervisable {
  readonly address: Address;
  readonly policy?: RestartPolicy;
  /** Tear down whatever is left of the failed instance. Must not throw. */
  dispose(): Promise<void>;
  /** Start a fresh instance; rejects when it fails to start. */
  start(): Promise<void>;
  /** The supervisor gave up: stay down. */
  giveUp(): void;
}

/** A child supervisor gave up on one of its actors; the parent supervises the group as one unit. */
export class SupervisionExhaustedError extends ActorError {
  constructor(
    address: string,
    supervisor: string,
    restarts: number,
    options?: { cause?: unknown },
  ) {
    super(
      'supervision-exhausted',
      address,
      undefined,
      `supervisor "${supervisor}" gave up after ${restarts} restarts`,
      options,
    );
  }
}

interface ChildState {
  restartTimesMs: number[];
  timer?: ReturnType<typeof setTimeout>;
  busy: boolean;
}

/**
 * A node of the supervision tree. Actors are adopted by one supervisor; events bubble to the parent's
 * listeners so the root sees everything. Escalation from a child supervisor restarts that child's group.
 */
export class Supervisor {
  readonly name: string;
  readonly policy: Required<RestartPolicy>;
  readonly parent?: Supervisor;
  private readonly children = new Map<Supervisable, ChildState>();
  private readonly groups = new Map<Supervisor, ChildState>();
  private readonly listeners = new Set<SupervisorListener>();
  private readonly log: Logger;
  private closed = false;

  constructor(
    name: string,
    options: { policy?: RestartPolicy; parent?: Supervisor; logger?: Logger } = {},
  ) {
    this.name = name;
    this.policy = resolvePolicy(options.policy);
    this.parent = options.parent;
    this.log = options.logger ?? options.parent?.log ?? silentLogger;
    if (this.parent) this.parent.groups.set(this, { restartTimesMs: [], busy: false });
  }

  /** A supervisor for a group of actors under this one; its exhaustion escalates here. */
  child(name: string, policy?: RestartPolicy): Supervisor {
    return new Supervisor(name, { policy, parent: this, logger: this.log });
  }

  /** Calls `listener` for every event of this supervisor and its descendants; returns the unsubscribe. */
  on(listener: SupervisorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first event (from now on) that satisfies `predicate`; rejects after timeoutMs. */
  waitFor(
    predicate: (event: SupervisorEvent) => boolean,
    timeoutMs = 60_000,
  ): Promise<SupervisorEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`supervisor "${this.name}": no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  adopt(child: Supervisable): void {
    this.children.set(child, { restartTimesMs: [], busy: false });
  }

  /** Forget a child (it was stopped on purpose): cancels a pending restart. */
  release(child: Supervisable): void {
    const state = this.children.get(child);
    if (state?.timer) clearTimeout(state.timer);
    this.children.delete(child);
  }

  /** Cancels every pending restart here and below (system shutdown). */
  close(): void {
    this.closed = true;
    for (const state of this.children.values()) if (state.timer) clearTimeout(state.timer);
    for (const [group, state] of this.groups) {
      if (state.timer) clearTimeout(state.timer);
      group.close();
    }
  }

  /** Every actor supervised here and below. */
  members(): Supervisable[] {
    const out = [...this.children.keys()];
    for (const group of this.groups.keys()) out.push(...group.members());
    return out;
  }

  /** A supervised actor failed: report, tear it down, then restart or give up per its policy. */
  async failed(child: Supervisable, kind: FailureKind, cause: Error): Promise<void> {
    const state = this.children.get(child);
    if (!state) return; // released meanwhile
    this.emit({
      type: 'failure',
      supervisor: this.name,
      address: child.address,
      atMs: Date.now(),
      kind,
      cause,
    });
    if (state.busy) return; // already tearing down or restarting this one
    state.busy = true;
    await child.dispose();
    if (this.closed || !this.children.has(child)) return;
    const policy = resolvePolicy({ ...this.policy, ...(child.policy ?? {}) });
    const decision = decideRestart(policy, state.restartTimesMs, Date.now());
    if (decision.action === 'restart') {
      this.scheduleRestart(state, child.address, kind, cause, decision, (attempt) =>
        this.restartChild(child, state, attempt),
      );
      return;
    }
    state.busy = false;
    if (decision.reason === 'exhausted' && policy.onExhausted === 'escalate') {
      const restarts = state.restartTimesMs.length;
      this.emit({
        type: 'escalated',
        supervisor: this.name,
        address: child.address,
        atMs: Date.now(),
        kind,
        cause,
        restarts,
      });
      child.giveUp();
      if (this.parent) {
        const error = new SupervisionExhaustedError(
          addressKey(child.address),
          this.name,
          restarts,
          { cause },
        );
        void this.parent.groupFailed(this, child.address, error);
      }
      return;
    }
    this.emit({
      type: 'gave-up',
      supervisor: this.name,
      address: child.address,
      atMs: Date.now(),
      kind,
      cause,
      reason: decision.reason,
    });
    child.giveUp();
  }

  /** Announces a restart, then after the decision's delay records its time and runs `restart`. */
  private scheduleRestart(
    state: ChildState,
    address: Address,
    kind: FailureKind,
    cause: Error,
    decision: { attempt: number; delayMs: number },
    restart: (attempt: number) => Promise<void>,
  ): void {
    this.emit({
      type: 'restarting',
      supervisor: this.name,
      address,
      atMs: Date.now(),
      kind,
      cause,
      attempt: decision.attempt,
      delayMs: decision.delayMs,
    });
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.restartTimesMs.push(Date.now());
      void restart(decision.attempt);
    }, decision.delayMs);
  }

  private async restartChild(
    child: Supervisable,
    state: ChildState,
    attempt: number,
  ): Promise<void> {
    if (this.closed || !this.children.has(child)) return;
    try {
      await child.start();
      state.busy = false;
      this.emit({
        type: 'restarted',
        supervisor: this.name,
        address: child.address,
        atMs: Date.now(),
        attempt,
      });
    } catch (error) {
      state.busy = false;
      const cause = error instanceof Error ? error : new Error(String(error));
      this.log.warn('restart failed', {
        supervisor: this.name,
        actor: addressKey(child.address),
        error: cause,
      });
      await this.failed(child, 'start', cause);
    }
  }

  /** A child supervisor exhausted its policy: treat its whole group as one failed child of ours. */
  private async groupFailed(group: Supervisor, address: Address, cause: Error): Promise<void> {
    const state = this.groups.get(group);
    if (!state || this.closed) return;
    this.emit({
      type: 'failure',
      supervisor: this.name,
      address,
      atMs: Date.now(),
      kind: 'escalation',
      cause,
    });
    if (state.busy) return;
    state.busy = true;
    const members = group.members();
    await Promise.all(members.map((m) => m.dispose()));
    const decision = decideRestart(this.policy, state.restartTimesMs, Date.now());
    if (decision.action === 'restart') {
      this.scheduleRestart(state, address, 'escalation', cause, decision, (attempt) =>
        this.restartGroup(group, state, address, attempt),
      );
      return;
    }
    state.busy = false;
    for (const m of members) m.giveUp();
    if (decision.reason === 'exhausted' && this.policy.onExhausted === 'escalate') {
      const restarts = state.restartTimesMs.length;
      this.emit({
        type: 'escalated',
        supervisor: this.name,
        address,
        atMs: Date.now(),
        kind: 'escalation',
        cause,
        restarts,
      });
      if (this.parent) {
        const error = new SupervisionExhaustedError(addressKey(address), this.name, restarts, {
          cause,
        });
        void this.parent.groupFailed(this, address, error);
      }
      return;
    }
    this.emit({
      type: 'gave-up',
      supervisor: this.name,
      address,
      atMs: Date.now(),
      kind: 'escalation',
      cause,
      reason: decision.reason,
    });
  }

  private async restartGroup(
    group: Supervisor,
    state: ChildState,
    address: Address,
    attempt: number,
  ): Promise<void> {
    if (this.closed) return;
    group.resetHistory();
    const members = group.members();
    const results = await Promise.allSettled(members.map((m) => m.start()));
    state.busy = false;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      const cause =
        failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
      await this.groupFailed(group, address, cause);
      return;
    }
    this.emit({ type: 'restarted', supervisor: this.name, address, atMs: Date.now(), attempt });
  }

  private resetHistory(): void {
    for (const state of this.children.values()) {
      state.restartTimesMs = [];
      state.busy = false;
    }
    for (const [group, state] of this.groups) {
      state.restartTimesMs = [];
      group.resetHistory();
    }
  }

  private emit(event: SupervisorEvent): void {
    if (event.type === 'failure' || event.type === 'gave-up' || event.type === 'escalated') {
      this.log.warn(`supervisor: ${event.type}`, {
        supervisor: this.name,
        actor: addressKey(event.address),
        kind: event.kind,
        cause: event.cause,
      });
    }
    this.notify(event);
  }

  /** Calls this supervisor's listeners, then its ancestors'. */
  private notify(event: SupervisorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error('supervisor listener threw', { error: error as Error });
      }
    }
    this.parent?.notify(event);
  }
}
