// The NATS transport: actors in any process, addressed by subject `weft.<job>.<role>.<index>.<verb>`, asks
// as request/reply, pools as queue groups, payloads over max_payload pulled in chunks, reconnects forever.
import {
  headers as makeHeaders,
  NoRespondersError,
  PermissionViolationError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Status,
  type Subscription,
} from '@nats-io/transport-node';
import { ActorHost, type Reply } from '../actor-host.js';
import type { Address } from '../address.js';
import {
  addressKey,
  parseAddressKey,
  plainAddress,
  queueGroupFor,
  subjectFor,
  subjectWildcard,
} from '../address.js';
import {
  ActorTimeoutError,
  PermissionDeniedError,
  NoResponderError,
  reviveError,
  TransportError,
  type SerializedError,
} from '../actor-errors.js';
import { consoleLogger, type Logger } from '../actor-log.js';
import { decode, encode } from '../codec.js';
import { ConfigError } from '../errors.js';
import { connectNats, type NatsConfig } from '../nats-connect.js';
import type { FailureKind } from '../supervisor.js';
import {
  BLOB_HEADER,
  BlobServer,
  BlobTransferError,
  formatManifest,
  parseManifest,
  pullBlob,
} from './nats-blob.js';
import { HeartbeatPublisher } from './nats-heartbeat.js';
import { NatsProcessActor } from './nats-process.js';
import { startLocalHost } from './local-host.js';
import type { ActorHandle, HostRequest, Placement, Transport } from './transport.js';

const FROM_HEADER = 'Weft-From';
const ERROR_HEADER = 'Weft-Error';
const TIMEOUT_HEADER = 'Weft-Timeout';
/** Room left under max_payload for headers and the protocol line. */
const HEADROOM_BYTES = 4096;
/** How long an offered payload waits for its receiver when the sender gives no timeout (tells, replies). */
const DEFAULT_BLOB_TTL_MS = 60_000;
/** Largest chunked payload taken when the config sets no `maxInboundBytes`. */
const DEFAULT_MAX_INBOUND_BYTES = 256 * 1024 * 1024;

export interface NatsTransportOptions {
  readonly config: NatsConfig;
  readonly logger?: Logger;
  /** Locally hosted actors publish a heartbeat this often (0 or absent: none). */
  readonly heartbeatMs?: number;
  /** Chunk requests in flight per large payload (default 4). */
  readonly blobWindow?: number;
}

interface Outbound {
  payload: Uint8Array;
  headers?: MsgHdrs;
  blobId?: string;
}

function findCause(error: unknown, cls: abstract new (...args: never[]) => Error): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (e instanceof cls) return true;
    e = (e as Error).cause;
  }
  return false;
}

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  readonly blobs: BlobServer;
  readonly log: Logger;
  private readonly handles = new Set<ActorHandle>();
  private readonly statusListeners = new Set<(status: Status) => void>();
  private connectedNow = true;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly config: NatsConfig,
    private readonly options: NatsTransportOptions,
    log: Logger,
  ) {
    this.log = log;
    this.blobs = new BlobServer(nc, log, config.blobPrefix);
    void this.watchStatus();
  }

  /** Connects to the configured servers; reconnects for as long as the transport is open. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const log = options.logger ?? consoleLogger({ transport: 'nats' });
    const nc = await connectNats(options.config);
    return new NatsTransport(nc, options.config, options, log);
  }

  /** The server's max_payload (re-read after every reconnect; servers may differ). */
  get maxPayloadBytes(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  get connected(): boolean {
    return this.connectedNow && !this.nc.isClosed();
  }

  /** Calls `listener` with every connection status change (disconnect, reconnect, …); returns the unsubscribe. */
  onStatus(listener: (status: Status) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves at the next successful reconnect. */
  reconnected(timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no reconnect within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStatus((status) => {
        if (status.type !== 'reconnect') return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connectedNow = false;
      else if (status.type === 'reconnect') this.connectedNow = true;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.log.info(`nats ${status.type}`, { server: status.server });
      }
      if (status.type === 'error' && status.error instanceof PermissionViolationError) {
        const { operation, subject } = status.error;
        this.log.warn('nats permission denied', { operation, subject });
      }
      for (const listener of this.statusListeners) listener(status);
    }
  }

  async host(request: HostRequest): Promise<ActorHandle> {
    if (typeof request.address.index !== 'number') {
      throw new ConfigError(`an actor needs an integer index, got "${request.address.index}"`, {
        field: 'address.index',
      });
    }
    const placement: Placement = request.placement ?? 'local';
    let handle: ActorHandle;
    if (placement === 'local') {
      const local = new NatsLocalActor(this, request, this.options.heartbeatMs ?? 0);
      await local.start();
      handle = local;
    } else if (placement === 'process') {
      const child = new NatsProcessActor(this, request);
      await child.start();
      handle = child;
    } else {
      throw new ConfigError(
        `the nats transport has no placement '${placement}' (use 'local' or 'process')`,
        {
          field: 'placement',
        },
      );
    }
    this.handles.add(handle);
    return handle;
  }

  /** @internal */
  forget(handle: ActorHandle): void {
    this.handles.delete(handle);
  }

  /**
   * Encodes a body; offers it as a blob when it would not fit in one message. Headers are made only when
   * there is something to say (sender, manifest, error), so a plain message carries none.
   */
  encodeOutbound(body: unknown, ttlMs: number, headers?: MsgHdrs): Outbound {
    const payload = encode(body);
    const limit = this.maxPayloadBytes - HEADROOM_BYTES;
    if (payload.length <= limit) return { payload, headers };
    const manifest = this.blobs.offer(payload, Math.max(1024, limit), ttlMs);
    const out = headers ?? makeHeaders();
    out.set(BLOB_HEADER, formatManifest(manifest));
    out.set(TIMEOUT_HEADER, String(ttlMs));
    return { payload: new Uint8Array(0), headers: out, blobId: manifest.id };
  }

  /** Reads a message's body: decodes it, after pulling it when it came as a blob manifest. */
  readInbound(msg: Msg, deadlineMs: number): unknown | Promise<unknown> {
    const manifestText = msg.headers?.get(BLOB_HEADER);
    if (!manifestText) return decode(msg.data);
    const manifest = parseManifest(manifestText);
    const limit = this.config.maxInboundBytes ?? DEFAULT_MAX_INBOUND_BYTES;
    // A sender's declared size is checked before a byte is pulled: nobody makes us fetch gigabytes.
    if (manifest.bytes > limit)
      throw new BlobTransferError(
        `declared payload of ${manifest.bytes} bytes exceeds the limit of ${limit} bytes`,
      );
    return pullBlob(this.nc, manifest, {
      deadlineMs: Math.min(deadlineMs, Date.now() + manifest.ttlMs),
      window: this.options.blobWindow,
    }).then((bytes) => decode(bytes));
  }

  tell(from: Address | undefined, to: Address, verb: string, body: unknown): void {
    const out = this.encodeOutbound(body, DEFAULT_BLOB_TTL_MS, this.fromHeaders(from));
    this.nc.publish(
      subjectFor(to, verb),
      out.payload,
      out.headers ? { headers: out.headers } : undefined,
    );
  }

  async ask(
    from: Address | undefined,
    to: Address,
    verb: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const key = addressKey(to);
    const deadlineMs = Date.now() + timeoutMs;
    const out = this.encodeOutbound(body, timeoutMs, this.fromHeaders(from));
    const subject = subjectFor(to, verb);
    let reply: Msg;
    try {
      reply = await this.nc.request(
        subject,
        out.payload,
        out.headers ? { timeout: timeoutMs, headers: out.headers } : { timeout: timeoutMs },
      );
    } catch (error) {
      // Refused by the server, not lost: a transport failure would be retried until the deadline.
      if (findCause(error, PermissionViolationError))
        throw new PermissionDeniedError(key, verb, subject, { cause: error });
      if (findCause(error, NoRespondersError))
        throw new NoResponderError(key, verb, { cause: error });
      if (findCause(error, TimeoutError))
        throw new ActorTimeoutError(key, verb, timeoutMs, { cause: error });
      throw new TransportError(key, verb, `request failed: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      if (out.blobId) this.blobs.release(out.blobId);
    }
    let value: unknown;
    try {
      value = await this.readInbound(reply, deadlineMs);
    } catch (error) {
      if (Date.now() >= deadlineMs)
        throw new ActorTimeoutError(key, verb, timeoutMs, { cause: error });
      throw new TransportError(key, verb, `reply could not be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (reply.headers?.get(ERROR_HEADER)) throw reviveError(value as SerializedError, key, verb);
    return value;
  }

  private fromHeaders(from: Address | undefined): MsgHdrs | undefined {
    if (!from) return undefined;
    const headers = makeHeaders();
    headers.set(FROM_HEADER, addressKey(from));
    return headers;
  }

  /** Sends an actor's reply to an ask (chunked when large). */
  respond(msg: Msg, reply: Reply): void {
    let headers: MsgHdrs | undefined;
    let body: unknown;
    if (reply.ok) body = reply.body;
    else {
      headers = makeHeaders();
      headers.set(ERROR_HEADER, '1');
      body = reply.error;
    }
    const out = this.encodeOutbound(body, DEFAULT_BLOB_TTL_MS, headers);
    msg.respond(out.payload, out.headers ? { headers: out.headers } : undefined);
  }

  /** Closes every hosted actor abruptly, then drains the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const left = [...this.handles];
    this.handles.clear();
    await Promise.all(left.map((h) => h.kill()));
    this.blobs.close();
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }
}

/** An actor hosted in this process, subscribed to its subjects on the transport's connection. */
class NatsLocalActor implements ActorHandle {
  readonly placement = 'local' as const;
  readonly address: Address;
  private host?: ActorHost;
  private readonly subs: Subscription[] = [];
  private heartbeat?: HeartbeatPublisher;
  private ingress?: Promise<void>;
  private reported = false;
  private released = false;

  constructor(
    private readonly transport: NatsTransport,
    private readonly request: HostRequest,
    private readonly heartbeatMs: number,
  ) {
    this.address = plainAddress(request.address);
  }

  async start(): Promise<void> {
    const { host, log } = await startLocalHost(this.transport, this.request, this.address, {
      fail: (kind, cause) => this.failed(kind, cause),
      stopSelf: () => {
        if (this.released || this.reported) return;
        void this.stop().then(() => this.request.onSelfStop());
      },
    });
    this.host = host;
    const nc = this.transport.nc;
    const callback = (err: Error | null, msg: Msg): void => {
      if (err) {
        log.warn('subscription error', { error: err });
        return;
      }
      this.onMessage(msg);
    };
    this.subs.push(nc.subscribe(subjectWildcard(this.address), { callback }));
    for (const pool of this.request.pools) {
      const poolAddress = { job: this.address.job, role: this.address.role, index: pool };
      this.subs.push(
        nc.subscribe(subjectWildcard(poolAddress), {
          callback,
          queue: queueGroupFor(this.address.job, this.address.role, pool),
        }),
      );
    }
    // The server knows the subscriptions once flush returns: an ask right after spawn finds a responder.
    await nc.flush();
    if (this.heartbeatMs > 0)
      this.heartbeat = new HeartbeatPublisher(nc, this.address, this.heartbeatMs);
  }

  private onMessage(msg: Msg): void {
    const host = this.host!;
    const verb = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const fromKey = msg.headers?.get(FROM_HEADER);
    const from = fromKey ? parseAddressKey(fromKey) : undefined;
    const reply = msg.reply ? (r: Reply) => this.transport.respond(msg, r) : undefined;
    const timeoutMs = Number(msg.headers?.get(TIMEOUT_HEADER) || 60_000);
    const deadlineMs = Date.now() + timeoutMs;
    const refuse = (error: unknown): void =>
      host.refuse(verb, '', `payload could not be read: ${(error as Error).message}`, reply);
    const deliver = (body: unknown): void => host.receive(verb, body, from, reply);
    // Messages reach the mailbox in arrival order even when one of them is still being pulled in chunks.
    if (!this.ingress && !msg.headers?.get(BLOB_HEADER)) {
      let body: unknown;
      try {
        body = this.transport.readInbound(msg, deadlineMs);
      } catch (error) {
        refuse(error);
        return;
      }
      deliver(body);
      return;
    }
    const step = (this.ingress ?? Promise.resolve())
      .then(() => this.transport.readInbound(msg, deadlineMs))
      .then(deliver, refuse)
      .catch((error: unknown) =>
        this.transport.log.error('message delivery failed', { error: error as Error }),
      );
    this.ingress = step;
    void step.finally(() => {
      if (this.ingress === step) this.ingress = undefined;
    });
  }

  private failed(kind: FailureKind, cause: Error): void {
    if (this.reported || this.released) return;
    this.reported = true;
    this.unsubscribe();
    this.request.onFailure(kind, cause);
  }

  private unsubscribe(): void {
    this.heartbeat?.stop();
    for (const sub of this.subs.splice(0)) {
      try {
        sub.unsubscribe();
      } catch {
        // connection already closed
      }
    }
  }

  private async quiesce(): Promise<void> {
    // Drain the subscriptions: messages the server already sent us are still handed to the host.
    const subs = this.subs.splice(0);
    this.heartbeat?.stop();
    await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
    await this.ingress;
  }

  async drain(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.quiesce();
    await this.host?.drain();
    this.transport.forget(this);
  }

  async stop(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.unsubscribe();
    await this.host?.stop();
    this.transport.forget(this);
  }

  async kill(): Promise<void> {
    this.released = true;
    this.unsubscribe();
    await this.host?.dispose();
    this.transport.forget(this);
  }
}
