// The facade applications use: start a system on a transport, spawn actors (supervised), talk to them,
// drain and shut down. The same calls work for 'inproc' and 'nats'; only the options differ.
import type { ActorClient, AnyProtocol, AskOptions, Protocol } from './actor.js';
import { DEFAULT_ASK_TIMEOUT_MS, makeClient } from './actor.js';
import type { Address } from './address.js';
import { addressKey, checkAddress, checkVerb, DEFAULT_POOL, plainAddress } from './address.js';
import { ActorStoppedError } from './actor-errors.js';
import { consoleLogger, type Logger } from './actor-log.js';
import type { ActorSpec } from './actor-spec.js';
import { ConfigError } from './errors.js';
import type { NatsConfig } from './nats-connect.js';
import { Supervisor, type RestartPolicy, type SupervisorListener } from './supervisor.js';
import { InprocTransport } from './transports/inproc.js';
import { NatsTransport } from './transports/nats.js';
import type { ActorHandle, Placement, Transport } from './transports/transport.js';

export interface ActorSystemOptions {
  /** 'inproc' (default): worker threads of this process. 'nats': actors anywhere, through a NATS server. */
  transport?: 'inproc' | 'nats';
  /** Connection settings; required for 'nats'. */
  nats?: NatsConfig;
  /** Default restart policy of the root supervisor. */
  restart?: RestartPolicy;
  logger?: Logger;
  /** Default timeout of asks made through the system and its refs (default 10 s). */
  askTimeoutMs?: number;
  /** How long stop/drain waits for an actor before killing it (default 30 s). */
  stopTimeoutMs?: number;
  /** NATS only: locally hosted actors publish a heartbeat this often (0 = off, default). */
  heartbeatMs?: number;
}

export interface SpawnOptions {
  /** Passed to the actor as ctx.config (default {}), checked against its static configSchema. */
  config?: unknown;
  /** Overrides the supervisor's policy for this actor. */
  restart?: RestartPolicy;
  /** Supervisor to adopt the actor (default: the system's root). */
  supervisor?: Supervisor;
  /** inproc: 'thread' (default for module specs) or 'local'; nats: 'local' (default) or 'process'. */
  placement?: Placement;
  /** Pools the actor joins (default ['*'], the role's default pool). */
  pools?: readonly string[];
  /** Child processes: heartbeat period (default 1 s) and missed beats before it counts as dead (default 10). */
  heartbeatMs?: number;
  missedHeartbeats?: number;
}

export type ActorRefState = 'running' | 'restarting' | 'down' | 'stopped';

/** A spawned actor: a client for its address plus lifecycle control. Stays valid across restarts. */
export interface ActorRef<P extends Protocol = AnyProtocol> extends ActorClient<P> {
  /** Refuse new and queued messages, finish the running one, run onStop; not restarted. */
  stop(): Promise<void>;
  /** Refuse new messages, finish every accepted one, run onStop; not restarted. */
  drain(): Promise<void>;
  readonly state: ActorRefState;
  /** The current instance (changes on restart; undefined while down). */
  readonly handle: ActorHandle | undefined;
}

class ManagedActor {
  handle?: ActorHandle;
  state: ActorRefState = 'restarting';
  private generation = 0;

  constructor(
    private readonly system: ActorSystem,
    private readonly transport: Transport,
    readonly spec: ActorSpec,
    readonly address: Address,
    readonly options: SpawnOptions,
    readonly supervisor: Supervisor,
  ) {}

  get policy(): RestartPolicy | undefined {
    return this.options.restart;
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    const handle = await this.transport.host({
      spec: this.spec,
      address: this.address,
      config: this.options.config ?? {},
      pools: this.options.pools ?? [DEFAULT_POOL],
      placement: this.options.placement,
      heartbeatMs: this.options.heartbeatMs,
      missedHeartbeats: this.options.missedHeartbeats,
      onFailure: (kind, cause) => {
        if (generation !== this.generation || this.state === 'stopped') return;
        this.state = 'restarting';
        void this.supervisor.failed(this, kind, cause);
      },
      onSelfStop: () => {
        if (generation !== this.generation) return;
        this.state = 'stopped';
        this.handle = undefined;
        this.supervisor.release(this);
        this.system.forget(this);
      },
    });
    if (generation !== this.generation || this.state === 'stopped') {
      await handle.kill(); // stopped while it was starting
      return;
    }
    this.handle = handle;
    this.state = 'running';
  }

  async dispose(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.generation++;
    if (this.state !== 'stopped') this.state = 'restarting';
    await handle?.kill();
  }

  giveUp(): void {
    if (this.state !== 'stopped') this.state = 'down';
  }

  async finish(kind: 'stop' | 'drain', timeoutMs: number): Promise<void> {
    this.state = 'stopped';
    this.supervisor.release(this);
    this.system.forget(this);
    const handle = this.handle;
    this.handle = undefined;
    this.generation++;
    if (handle) await (kind === 'drain' ? handle.drain(timeoutMs) : handle.stop(timeoutMs));
  }
}

export class ActorSystem {
  readonly transport: Transport;
  /** Root of the supervision tree; `system.supervisor.on(listener)` sees every event. */
  readonly supervisor: Supervisor;
  readonly log: Logger;
  private readonly actors = new Map<string, ManagedActor>();
  private readonly askTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private draining = false;
  private closed = false;

  private constructor(transport: Transport, options: ActorSystemOptions, log: Logger) {
    this.transport = transport;
    this.log = log;
    this.supervisor = new Supervisor('root', { policy: options.restart, logger: log });
    this.askTimeoutMs = options.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  }

  /** Starts a system on the chosen transport (connects to NATS for 'nats'). */
  static async start(options: ActorSystemOptions = {}): Promise<ActorSystem> {
    const kind = options.transport ?? 'inproc';
    const log = options.logger ?? consoleLogger({ system: kind });
    let transport: Transport;
    if (kind === 'inproc') {
      transport = new InprocTransport({ logger: log });
    } else if (kind === 'nats') {
      if (!options.nats)
        throw new ConfigError("the 'nats' transport needs nats settings", { field: 'nats' });
      transport = await NatsTransport.connect({
        config: options.nats,
        logger: log,
        heartbeatMs: options.heartbeatMs,
      });
    } else {
      throw new ConfigError(`unknown transport "${String(kind)}" (use 'inproc' or 'nats')`, {
        field: 'transport',
      });
    }
    return new ActorSystem(transport, options, log);
  }

  /**
   * Starts an actor at `address` (integer index) under a supervisor. Resolves once its onStart finished;
   * rejects with ActorStartError (nothing left running) when the first start fails.
   */
  async spawn<P extends Protocol = AnyProtocol>(
    spec: ActorSpec,
    address: Address,
    options: SpawnOptions = {},
  ): Promise<ActorRef<P>> {
    this.assertOpen();
    checkAddress(address);
    if (typeof address.index !== 'number') {
      throw new ConfigError(
        'spawn needs an integer index; pools are joined through options.pools',
        {
          field: 'address.index',
        },
      );
    }
    const key = addressKey(address);
    if (this.actors.has(key))
      throw new ConfigError(`an actor already runs at ${key}`, { field: 'address' });
    const supervisor = options.supervisor ?? this.supervisor;
    const managed = new ManagedActor(
      this,
      this.transport,
      spec,
      plainAddress(address),
      options,
      supervisor,
    );
    this.actors.set(key, managed);
    try {
      await managed.start();
    } catch (error) {
      this.actors.delete(key);
      throw error;
    }
    supervisor.adopt(managed);
    return this.makeRef<P>(managed);
  }

  /** A typed client for any address (actors of other systems and processes included). */
  client<P extends Protocol = AnyProtocol>(address: Address, _protocol?: P): ActorClient<P> {
    return makeClient<P>(plainAddress(address), this);
  }

  tell(to: Address, verb: string, msg?: unknown): void {
    this.assertAccepting(to, verb);
    checkVerb(verb);
    this.transport.tell(undefined, to, verb, msg);
  }

  async ask<R = unknown>(
    to: Address,
    verb: string,
    msg?: unknown,
    options: AskOptions = {},
  ): Promise<R> {
    this.assertAccepting(to, verb);
    checkVerb(verb);
    return (await this.transport.ask(
      undefined,
      to,
      verb,
      msg,
      options.timeoutMs ?? this.askTimeoutMs,
    )) as R;
  }

  /** Refuses new calls through the system, then drains every actor (each finishes what it accepted). */
  async drain(): Promise<void> {
    this.draining = true;
    const all = [...this.actors.values()];
    await Promise.all(all.map((a) => a.finish('drain', this.stopTimeoutMs)));
  }

  /** Drains (bounded by stopTimeoutMs per actor), cancels pending restarts, closes the transport. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.supervisor.close();
    await this.drain();
    this.closed = true;
    await this.transport.close();
  }

  /** Shorthand for `system.supervisor.on`. */
  on(listener: SupervisorListener): () => void {
    return this.supervisor.on(listener);
  }

  /** @internal The actor stopped for good. */
  forget(actor: ManagedActor): void {
    const key = addressKey(actor.address);
    if (this.actors.get(key) === actor) this.actors.delete(key);
  }

  private makeRef<P extends Protocol>(managed: ManagedActor): ActorRef<P> {
    const client = makeClient<P>(managed.address, this);
    const stopTimeoutMs = this.stopTimeoutMs;
    return {
      ...client,
      stop: () => managed.finish('stop', stopTimeoutMs),
      drain: () => managed.finish('drain', stopTimeoutMs),
      get state() {
        return managed.state;
      },
      get handle() {
        return managed.handle;
      },
    };
  }

  private assertOpen(): void {
    if (this.closed || this.draining)
      throw new ConfigError('the actor system is shutting down', { field: 'system' });
  }

  private assertAccepting(to: Address, verb: string): void {
    if (this.draining || this.closed) {
      throw new ActorStoppedError(addressKey(to), verb, 'the actor system is draining');
    }
  }
}
