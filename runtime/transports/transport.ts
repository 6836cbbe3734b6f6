// The contract between the actor system and a transport: host an actor somewhere, route tell/ask to an
// address, and report failures of what it hosts. Actors never see this; the system is written against it.
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import type { Address } from '../address.js';
import type { ActorSpec } from '../actor-spec.js';
import type { FailureKind } from '../supervisor.js';

/** Where an actor runs: this thread, a worker thread of this process, or a child process. */
export type Placement = 'local' | 'thread' | 'process';

export interface HostRequest {
  readonly spec: ActorSpec;
  readonly address: Address;
  readonly config: unknown;
  /** Pools (queue groups) the actor joins besides its own address. */
  readonly pools: readonly string[];
  readonly placement?: Placement;
  /** Child processes only: heartbeat period and how many missed beats count as dead. */
  readonly heartbeatMs?: number;
  readonly missedHeartbeats?: number;
  /** Called at most once per hosted instance, when it fails after it started. */
  readonly onFailure: (kind: FailureKind, cause: Error) => void;
  /** Called when the actor stopped itself (ctx.stopSelf()); it is already released. */
  readonly onSelfStop: () => void;
}

/** One hosted actor instance. */
export interface ActorHandle {
  readonly address: Address;
  readonly placement: Placement;
  /** Refuse new messages, finish every accepted one, run onStop, release the thread/process. */
  drain(timeoutMs: number): Promise<void>;
  /** Refuse new and queued messages, finish running ones, run onStop, release. */
  stop(timeoutMs: number): Promise<void>;
  /** Tear down now: terminate the thread, SIGKILL the process, drop the local instance. Never throws. */
  kill(): Promise<void>;
  /** The worker thread, for placement 'thread'. */
  readonly worker?: Worker;
  /** The child process, for placement 'process'. */
  readonly process?: ChildProcess;
}

export interface Transport {
  readonly kind: 'inproc' | 'nats';
  /** Starts an actor; rejects with ActorStartError when it does not start (nothing is left running). */
  host(request: HostRequest): Promise<ActorHandle>;
  tell(from: Address | undefined, to: Address, verb: string, body: unknown): void;
  ask(
    from: Address | undefined,
    to: Address,
    verb: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<unknown>;
  /** Releases connections and timers; hosted actors must already be stopped. */
  close(): Promise<void>;
}
