// Hosts a NATS actor in a child OS process (runtime/actor-process.ts) so its supervisor can restart it:
// lifecycle and failures over the IPC channel, death noticed by exit or by missed heartbeats.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Address } from '../address.js';
import { addressKey, plainAddress } from '../address.js';
import {
  ActorStartError,
  reviveError,
  reviveFailure,
  type SerializedError,
} from '../actor-errors.js';
import { isModuleSpec, specName, toWireSpec, type WireActorSpec } from '../actor-spec.js';
import { ConfigError } from '../errors.js';
import { execArgvFor, moduleUrl } from '../module-url.js';
import { MAIN_THREAD_NODE_FLAGS } from '../young-generation.js';
import type { NatsConfig } from '../nats-connect.js';
import type { FailureKind } from '../supervisor.js';
import { HeartbeatMonitor } from './nats-heartbeat.js';
import { StopHandshake } from './stop-handshake.js';
import type { NatsTransport } from './nats.js';
import type { ActorHandle, HostRequest } from './transport.js';

const ENTRY = moduleUrl('../actor-process.js', import.meta.url);

/** Parent → child. */
export type ToChild =
  | {
      readonly k: 'init';
      readonly spec: WireActorSpec;
      readonly address: Address;
      readonly config: unknown;
      readonly pools: readonly string[];
      readonly nats: NatsConfig;
      readonly heartbeatMs: number;
    }
  | { readonly k: 'drain' }
  | { readonly k: 'stop' };

/** Child → parent. */
export type FromChild =
  | { readonly k: 'started' }
  | { readonly k: 'start-failed'; readonly error: SerializedError }
  | { readonly k: 'failure'; readonly kind: FailureKind; readonly error: SerializedError }
  | { readonly k: 'fatal'; readonly error: SerializedError }
  | { readonly k: 'stop-self' }
  | { readonly k: 'stopped' };

export class NatsProcessActor implements ActorHandle {
  readonly placement = 'process' as const;
  readonly address: Address;
  process?: ChildProcess;
  private exited?: Promise<void>;
  private expectedExit = false;
  private reported = false;
  private fatal?: Error;
  private readonly stopping = new StopHandshake();
  private monitor?: HeartbeatMonitor;

  constructor(
    private readonly transport: NatsTransport,
    private readonly request: HostRequest,
  ) {
    this.address = plainAddress(request.address);
  }

  start(): Promise<void> {
    if (!isModuleSpec(this.request.spec)) {
      throw new ConfigError(
        `placement 'process' needs a module spec ({ module, export }), got class ${specName(this.request.spec)}`,
        {
          field: 'spec',
        },
      );
    }
    const child = fork(fileURLToPath(ENTRY), [], {
      execArgv: [...MAIN_THREAD_NODE_FLAGS, ...execArgvFor(ENTRY)],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const heartbeatMs = this.request.heartbeatMs ?? 1000;
    const key = addressKey(this.address);
    return new Promise<void>((resolve, reject) => {
      let started = false;
      child.on('message', (message: FromChild) => {
        switch (message.k) {
          case 'started':
            started = true;
            this.watchHeartbeats(heartbeatMs);
            resolve();
            return;
          case 'start-failed':
            this.expectedExit = true;
            child.kill('SIGKILL');
            reject(reviveError(message.error, key, undefined));
            return;
          case 'failure':
            this.failed(message.kind, reviveFailure(message.error));
            return;
          case 'fatal':
            this.fatal = reviveFailure(message.error);
            return;
          case 'stop-self':
            if (this.reported || this.expectedExit) return;
            void this.stop(30_000).then(() => this.request.onSelfStop());
            return;
          case 'stopped':
            this.stopping.stopped();
            return;
        }
      });
      child.once('error', (error) => {
        if (!started)
          reject(
            new ActorStartError(key, `actor process failed to start: ${error.message}`, {
              cause: error,
            }),
          );
      });
      child.once('exit', (code, signal) => {
        this.monitor?.stop();
        this.transport.forget(this);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!started) {
          reject(
            new ActorStartError(key, `actor process ${child.pid} ${how} before it started`, {
              cause: this.fatal,
            }),
          );
          return;
        }
        if (this.expectedExit) return;
        const cause = new Error(
          `actor process ${child.pid} ${how}${this.fatal ? `: ${this.fatal.message}` : ''}`,
          {
            cause: this.fatal,
          },
        );
        this.failed('process-exit', cause);
      });
      const init: ToChild = {
        k: 'init',
        spec: toWireSpec(this.request.spec as { module: string | URL; export?: string }),
        address: this.address,
        config: this.request.config,
        pools: this.request.pools,
        nats: this.transport.config,
        heartbeatMs,
      };
      child.send(init);
    });
  }

  private watchHeartbeats(heartbeatMs: number): void {
    if (heartbeatMs <= 0) return;
    this.monitor = new HeartbeatMonitor(this.transport.nc, this.address, {
      intervalMs: heartbeatMs,
      missed: this.request.missedHeartbeats ?? 10,
      connected: () => this.transport.connected,
      onMissed: (silentMs) =>
        this.failed(
          'heartbeat',
          new Error(`actor process ${this.process?.pid} sent no heartbeat for ${silentMs} ms`),
        ),
    });
  }

  private failed(kind: FailureKind, cause: Error): void {
    if (this.reported || this.expectedExit) return;
    this.reported = true;
    this.request.onFailure(kind, cause);
  }

  private async finish(kind: 'drain' | 'stop', timeoutMs: number): Promise<void> {
    const child = this.process;
    if (!child || this.expectedExit) return;
    this.expectedExit = true;
    this.monitor?.stop();
    const send = (): void => void child.send({ k: kind } satisfies ToChild);
    const clean = await this.stopping.request(send, this.exited!, timeoutMs);
    if (!clean)
      this.transport.log.warn(`actor process did not ${kind} within ${timeoutMs} ms; killing it`, {
        actor: addressKey(this.address),
      });
    // After 'stopped' the child closes its connection and exits by itself; give it a moment.
    const timer = setTimeout(() => child.kill('SIGKILL'), clean ? 5000 : 0);
    await this.exited;
    clearTimeout(timer);
  }

  drain(timeoutMs: number): Promise<void> {
    return this.finish('drain', timeoutMs);
  }

  stop(timeoutMs: number): Promise<void> {
    return this.finish('stop', timeoutMs);
  }

  async kill(): Promise<void> {
    this.expectedExit = true;
    this.monitor?.stop();
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
  }
}
