// The in-process transport: each actor in a worker thread (or in this thread), a router here that moves
// tell/ask between them over MessagePorts, round-robins pools, enforces ask timeouts and notices dead threads.
import type { Worker } from 'node:worker_threads';
import { ActorHost, type Reply } from '../actor-host.js';
import type { Address } from '../address.js';
import { addressKey, isPoolAddress, plainAddress, poolKey } from '../address.js';
import {
  ActorStartError,
  reviveError,
  reviveFailure,
  serializeError,
  type SerializedError,
} from '../actor-errors.js';
import { consoleLogger, type Logger } from '../actor-log.js';
import { isModuleSpec, specName, toWireSpec } from '../actor-spec.js';
import { ConfigError } from '../errors.js';
import { moduleUrl } from '../module-url.js';
import type { FailureKind } from '../supervisor.js';
import { spawnWorker } from '../worker-spawn.js';
import type { FromWorker, InprocWorkerData, ToWorker } from './inproc-protocol.js';
import { startLocalHost } from './local-host.js';
import { StopHandshake } from './stop-handshake.js';
import type { ActorHandle, HostRequest, Placement, Transport } from './transport.js';

const WORKER_ENTRY = moduleUrl('./inproc-worker.js', import.meta.url);

export interface InprocTransportOptions {
  logger?: Logger;
}

/** Something the router can deliver to. */
interface Endpoint {
  readonly address: Address;
  readonly pools: readonly string[];
  /** Hands over one message; `id` marks an ask, answered later through InprocTransport.settle. */
  deliver(verb: string, body: unknown, from: Address | undefined, id: number | undefined): void;
}

interface PendingAsk {
  readonly endpoint: Endpoint;
  settle(reply: Reply): void;
}

function errorReply(
  kind: SerializedError['kind'],
  name: string,
  message: string,
  extra: Partial<SerializedError> = {},
): Reply {
  return { ok: false, error: { kind, name, message, ...extra } };
}

export class InprocTransport implements Transport {
  readonly kind = 'inproc' as const;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly pools = new Map<string, { members: Endpoint[]; next: number }>();
  private readonly pending = new Map<number, PendingAsk>();
  private readonly handles = new Set<ActorHandle>();
  private nextId = 1;
  readonly log: Logger;

  constructor(options: InprocTransportOptions = {}) {
    this.log = options.logger ?? consoleLogger({ transport: 'inproc' });
  }

  async host(request: HostRequest): Promise<ActorHandle> {
    const placement: Placement =
      request.placement ?? (isModuleSpec(request.spec) ? 'thread' : 'local');
    const key = addressKey(request.address);
    if (typeof request.address.index !== 'number') {
      throw new ConfigError(`an actor needs an integer index, got "${request.address.index}"`, {
        field: 'address.index',
      });
    }
    if (this.endpoints.has(key))
      throw new ConfigError(`an actor already runs at ${key}`, { field: 'address' });
    let handle: WorkerActor | LocalActor;
    if (placement === 'thread') {
      if (!isModuleSpec(request.spec)) {
        throw new ConfigError(
          `placement 'thread' needs a module spec ({ module, export }), got class ${specName(request.spec)}`,
          {
            field: 'spec',
          },
        );
      }
      handle = new WorkerActor(this, request);
    } else if (placement === 'local') {
      handle = new LocalActor(this, request);
    } else {
      throw new ConfigError(
        `the inproc transport has no placement '${placement}' (use 'thread' or 'local')`,
        {
          field: 'placement',
        },
      );
    }
    await handle.start();
    this.handles.add(handle);
    return handle;
  }

  tell(from: Address | undefined, to: Address, verb: string, body: unknown): void {
    const endpoint = this.resolve(to);
    if (!endpoint) {
      this.log.debug('tell to nobody dropped', { to: addressKey(to), verb });
      return;
    }
    endpoint.deliver(verb, body, from && plainAddress(from), undefined);
  }

  async ask(
    from: Address | undefined,
    to: Address,
    verb: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const reply = await this.route(from, to, verb, body, timeoutMs);
    if (reply.ok) return reply.body;
    throw reviveError(reply.error, addressKey(to), verb);
  }

  /** Routes an ask and resolves with its reply (errors included); never rejects. */
  route(
    from: Address | undefined,
    to: Address,
    verb: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<Reply> {
    const endpoint = this.resolve(to);
    if (!endpoint) {
      return Promise.resolve(
        errorReply('no-responder', 'NoResponderError', 'no actor at this address'),
      );
    }
    return new Promise<Reply>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(
          errorReply('timeout', 'ActorTimeoutError', `no reply within ${timeoutMs} ms`, {
            timeoutMs,
          }),
        );
      }, timeoutMs);
      this.pending.set(id, {
        endpoint,
        settle: (reply) => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(reply);
        },
      });
      try {
        endpoint.deliver(verb, body, from && plainAddress(from), id);
      } catch (error) {
        this.settle(
          id,
          errorReply(
            'transport',
            'TransportError',
            `message could not be sent: ${(error as Error).message}`,
          ),
        );
      }
    });
  }

  /** An endpoint answered ask `id`. Late answers (after a timeout) are dropped. */
  settle(id: number, reply: Reply): void {
    this.pending.get(id)?.settle(reply);
  }

  register(endpoint: Endpoint): void {
    this.endpoints.set(addressKey(endpoint.address), endpoint);
    for (const pool of endpoint.pools) {
      const key = poolKey(endpoint.address.job, endpoint.address.role, pool);
      let entry = this.pools.get(key);
      if (!entry) this.pools.set(key, (entry = { members: [], next: 0 }));
      entry.members.push(endpoint);
    }
  }

  /**
   * Stops routing new messages to `endpoint`. With a `reason`, the asks it has not answered fail now with
   * ActorStoppedError (its thread is gone); without, they may still be answered (it is stopping).
   */
  unregister(endpoint: Endpoint, reason?: string): void {
    const key = addressKey(endpoint.address);
    if (this.endpoints.get(key) === endpoint) this.endpoints.delete(key);
    for (const pool of endpoint.pools) {
      const entry = this.pools.get(poolKey(endpoint.address.job, endpoint.address.role, pool));
      if (!entry) continue;
      entry.members = entry.members.filter((m) => m !== endpoint);
    }
    if (reason === undefined) return;
    for (const [id, p] of this.pending) {
      if (p.endpoint === endpoint)
        this.settle(id, errorReply('stopped', 'ActorStoppedError', reason));
    }
  }

  forget(handle: ActorHandle): void {
    this.handles.delete(handle);
  }

  private resolve(to: Address): Endpoint | undefined {
    if (!isPoolAddress(to)) return this.endpoints.get(addressKey(to));
    const entry = this.pools.get(poolKey(to.job, to.role, to.index as string));
    if (!entry || entry.members.length === 0) return undefined;
    const endpoint = entry.members[entry.next % entry.members.length];
    entry.next = (entry.next + 1) % entry.members.length;
    return endpoint;
  }

  async close(): Promise<void> {
    const left = [...this.handles];
    this.handles.clear();
    await Promise.all(left.map((h) => h.kill()));
  }
}

/** Shared bookkeeping of both endpoint kinds: one failure report, self-stop, timeouts on stop. */
abstract class HostedEndpoint implements Endpoint, ActorHandle {
  readonly address: Address;
  readonly pools: readonly string[];
  abstract readonly placement: Placement;
  protected reported = false;
  protected released = false;

  constructor(
    protected readonly transport: InprocTransport,
    protected readonly request: HostRequest,
  ) {
    this.address = plainAddress(request.address);
    this.pools = request.pools;
  }

  abstract deliver(
    verb: string,
    body: unknown,
    from: Address | undefined,
    id: number | undefined,
  ): void;
  abstract drain(timeoutMs: number): Promise<void>;
  abstract stop(timeoutMs: number): Promise<void>;
  abstract kill(): Promise<void>;

  /** Reports the first failure of this instance and stops routing to it. */
  protected failed(kind: FailureKind, cause: Error): void {
    if (this.reported || this.released) return;
    this.reported = true;
    // Routing stops now; asks still pending fail when the supervisor tears the instance down.
    this.transport.unregister(this);
    this.request.onFailure(kind, cause);
  }

  protected release(reason: string): void {
    this.released = true;
    this.transport.unregister(this, reason);
    this.transport.forget(this);
  }

  protected selfStop(): void {
    if (this.released || this.reported) return;
    void this.stop(30_000).then(() => this.request.onSelfStop());
  }
}

/** An actor in its own worker thread. */
class WorkerActor extends HostedEndpoint {
  readonly placement = 'thread' as const;
  worker?: Worker;
  private expectedExit = false;
  private readonly stopping = new StopHandshake();
  private exited?: Promise<void>;

  start(): Promise<void> {
    const data: InprocWorkerData = {
      spec: toWireSpec(this.request.spec as { module: string | URL; export?: string }),
      address: this.address,
      config: this.request.config,
    };
    const worker = spawnWorker(WORKER_ENTRY, { workerData: data });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromWorker) => {
        if (message.k === 'started') {
          started = true;
          this.transport.register(this);
          resolve();
        } else if (message.k === 'start-failed') {
          this.expectedExit = true;
          void worker.terminate();
          reject(reviveError(message.error, addressKey(this.address), undefined));
        } else {
          this.onMessage(message);
        }
      });
      worker.on('error', (error) => {
        if (!started) {
          this.expectedExit = true;
          reject(
            new ActorStartError(
              addressKey(this.address),
              `worker thread failed: ${error.message}`,
              { cause: error },
            ),
          );
          return;
        }
        if (!this.expectedExit) this.failed('thread-error', error);
      });
      worker.on('exit', (code) => {
        if (!started) {
          reject(
            new ActorStartError(
              addressKey(this.address),
              `worker thread exited with code ${code} before it started`,
            ),
          );
          return;
        }
        if (!this.expectedExit)
          this.failed('thread-exit', new Error(`worker thread exited with code ${code}`));
        else this.release('actor stopped');
      });
    });
  }

  private onMessage(message: FromWorker): void {
    switch (message.k) {
      case 'tell':
        this.transport.tell(this.address, message.to, message.verb, message.body);
        return;
      case 'ask': {
        const { id } = message;
        void this.transport
          .route(this.address, message.to, message.verb, message.body, message.timeoutMs)
          .then((reply) => {
            const out: ToWorker = reply.ok
              ? { k: 'reply', id, ok: true, body: reply.body }
              : { k: 'reply', id, ok: false, error: reply.error };
            try {
              this.worker?.postMessage(out);
            } catch (error) {
              // The reply body could not be cloned: the asker gets the reason instead.
              try {
                this.worker?.postMessage({
                  k: 'reply',
                  id,
                  ok: false,
                  error: serializeError('transport', error),
                } satisfies ToWorker);
              } catch (second) {
                this.transport.log.warn('reply to a worker could not be sent', {
                  error: second as Error,
                });
              }
            }
          });
        return;
      }
      case 'reply':
        this.transport.settle(
          message.id,
          message.ok ? { ok: true, body: message.body } : { ok: false, error: message.error },
        );
        return;
      case 'failure':
        this.failed(message.kind, reviveFailure(message.error));
        return;
      case 'stop-self':
        this.selfStop();
        return;
      case 'stopped':
        this.stopping.stopped();
        return;
    }
  }

  deliver(verb: string, body: unknown, from: Address | undefined, id: number | undefined): void {
    this.worker!.postMessage({ k: 'deliver', verb, body, from, id } satisfies ToWorker);
  }

  private async finish(kind: 'drain' | 'stop', timeoutMs: number): Promise<void> {
    if (this.released) return;
    this.transport.unregister(this);
    const worker = this.worker!;
    const send = (): void => worker.postMessage({ k: kind } satisfies ToWorker);
    const clean = await this.stopping.request(send, this.exited!, timeoutMs);
    if (!clean)
      this.transport.log.warn(
        `actor did not ${kind} within ${timeoutMs} ms; terminating its thread`,
        { actor: addressKey(this.address) },
      );
    await this.kill();
  }

  drain(timeoutMs: number): Promise<void> {
    return this.finish('drain', timeoutMs);
  }

  stop(timeoutMs: number): Promise<void> {
    return this.finish('stop', timeoutMs);
  }

  async kill(): Promise<void> {
    this.expectedExit = true;
    this.release('actor stopped');
    await this.worker?.terminate();
    await this.exited;
  }
}

/** An actor in the router's own thread: same isolation (bodies are cloned), no thread boundary. */
class LocalActor extends HostedEndpoint {
  readonly placement = 'local' as const;
  private host?: ActorHost;

  async start(): Promise<void> {
    const { host } = await startLocalHost(this.transport, this.request, this.address, {
      fail: (kind, cause) => this.failed(kind, cause),
      stopSelf: () => this.selfStop(),
    });
    this.host = host;
    this.transport.register(this);
  }

  deliver(verb: string, body: unknown, from: Address | undefined, id: number | undefined): void {
    // Cloned now, so the sender may reuse its objects and a non-cloneable body fails at the sender;
    // delivered later, so a handler never runs inside its sender's call stack.
    const copy = structuredClone(body);
    const host = this.host!;
    queueMicrotask(() => {
      host.receive(
        verb,
        copy,
        from,
        id === undefined
          ? undefined
          : (reply) =>
              this.transport.settle(
                id,
                reply.ok ? { ok: true, body: structuredClone(reply.body) } : reply,
              ),
      );
    });
  }

  async drain(): Promise<void> {
    if (this.released) return;
    this.transport.unregister(this);
    await this.host?.drain();
    this.release('actor drained');
  }

  async stop(): Promise<void> {
    if (this.released) return;
    this.transport.unregister(this);
    await this.host?.stop();
    this.release('actor stopped');
  }

  async kill(): Promise<void> {
    this.release('actor stopped');
    await this.host?.dispose();
  }
}
