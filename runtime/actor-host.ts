// Runs one actor instance for any transport: validates messages at the boundary, keeps the mailbox, calls
// handlers and lifecycle hooks, turns throws into error replies or supervisor failures, and drains or stops.
import type { ActorClass, ActorContext, Actor, Handler, Handlers, MessageMeta } from './actor.js';
import { DEFAULT_ASK_TIMEOUT_MS, makeClient } from './actor.js';
import type { Address } from './address.js';
import { addressKey } from './address.js';
import {
  ActorStartError,
  MessageValidationError,
  serializeError,
  type SerializedError,
} from './actor-errors.js';
import type { Logger } from './actor-log.js';
import { ConfigError } from './errors.js';
import { schemaIssues, type SchemaIssue } from './schema.js';
import type { FailureKind } from './supervisor.js';

/** An ask's outcome as it travels back to the asker. */
export type Reply = { ok: true; body: unknown } | { ok: false; error: SerializedError };
export type ReplyFn = (reply: Reply) => void;

/** What the host needs from its transport. */
export interface HostLink {
  tell(from: Address, to: Address, verb: string, body: unknown): void;
  ask(from: Address, to: Address, verb: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /** The actor failed outside an ask reply; the transport passes this on to the supervisor. */
  fail(kind: FailureKind, cause: Error): void;
  /** The actor asked to stop itself. */
  stopSelf(): void;
}

/** Counters a host keeps; `invalid` counts messages rejected at the boundary. */
export interface HostStats {
  received: number;
  invalid: number;
  completed: number;
  failed: number;
}

/** Hooks for metrics: every host in this thread (or process) reports to the registered observers. */
export interface ActorObserver {
  received?(address: Address, verb: string): void;
  /** A message failed validation at the boundary (or could not be decoded). */
  invalid?(address: Address, verb: string, field: string): void;
  /** A handler finished; `ok` is false when it threw. */
  handled?(address: Address, verb: string, durationMs: number, ok: boolean): void;
  failed?(address: Address, kind: FailureKind): void;
}

const observers: ActorObserver[] = [];

/** Registers `observer` for every actor hosted in this thread from now on; returns the unregister. */
export function observeActors(observer: ActorObserver): () => void {
  observers.push(observer);
  return () => {
    const i = observers.indexOf(observer);
    if (i >= 0) observers.splice(i, 1);
  };
}

function notify(call: (o: ActorObserver) => void): void {
  for (const o of observers) {
    try {
      call(o);
    } catch {
      // an observer must never break message handling
    }
  }
}

type HostState = 'running' | 'draining' | 'stopping' | 'stopped' | 'failed';

interface Item {
  readonly handler: Handler<unknown, unknown>;
  readonly body: unknown;
  readonly meta: MessageMeta;
  readonly reply?: ReplyFn;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function issueText(issues: SchemaIssue[]): string {
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${issues[0].message}${more}`;
}

export class ActorHost {
  readonly stats: HostStats = { received: 0, invalid: 0, completed: 0, failed: 0 };
  private state: HostState = 'running';
  private readonly queue: Item[] = [];
  private mailboxRunning = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private stopHookRan = false;
  private readonly key: string;

  private constructor(
    readonly address: Address,
    private readonly actor: Actor<unknown>,
    private readonly handlers: Handlers,
    private readonly concurrency: number,
    private readonly link: HostLink,
    private readonly log: Logger,
  ) {
    this.key = addressKey(address);
  }

  /**
   * Checks the config, constructs the actor and runs onStart. Rejects with ActorStartError (cause: the
   * ConfigError or the thrown error) when any of it fails; nothing is left running then.
   */
  static async start<Config>(
    cls: ActorClass<Config>,
    address: Address,
    config: unknown,
    link: HostLink,
    log: Logger,
  ): Promise<ActorHost> {
    const key = addressKey(address);
    if (cls.configSchema) {
      const issues = schemaIssues(cls.configSchema, config);
      if (issues.length > 0) {
        const field = issues[0].path ? `config.${issues[0].path}` : 'config';
        const cause = new ConfigError(issueText(issues), { field });
        throw new ActorStartError(key, `invalid config: ${cause.message}`, { cause });
      }
    }
    // The context forwards to the host once it exists; messages sent from the constructor or onStart
    // go straight to the link, and stopSelf/fail during start become start failures.
    const started: { host?: ActorHost; failure?: Error } = {};
    const ctx: ActorContext<unknown> = {
      self: address,
      config,
      log,
      tell: (to, verb, msg) => link.tell(address, to, verb, msg),
      ask: <R>(to: Address, verb: string, msg?: unknown, options?: { timeoutMs?: number }) =>
        link.ask(
          address,
          to,
          verb,
          msg,
          options?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS,
        ) as Promise<R>,
      client: (to) =>
        makeClient(to, {
          tell: (t, verb, msg) => link.tell(address, t, verb, msg),
          ask: (t, verb, msg, options) =>
            link.ask(address, t, verb, msg, options?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS),
        }),
      stopSelf: () => {
        if (started.host) started.host.requestStop();
        else started.failure ??= new Error('stopSelf() called during start');
      },
      fail: (cause) => {
        if (started.host) started.host.failWith('handler', cause);
        else started.failure ??= toError(cause);
      },
    };
    let actor: Actor<unknown>;
    try {
      // The config was checked against cls.configSchema above (when the class declares one).
      actor = new cls(ctx as ActorContext<Config>) as Actor<unknown>;
    } catch (error) {
      throw new ActorStartError(key, `constructor threw: ${toError(error).message}`, {
        cause: error,
      });
    }
    const handlers = actor.handlers;
    if (handlers === null || typeof handlers !== 'object') {
      throw new ActorStartError(key, `${cls.name} has no handlers map`);
    }
    for (const [verb, handler] of Object.entries(handlers)) {
      if (
        !handler ||
        typeof handler.fn !== 'function' ||
        typeof handler.request?.check !== 'function'
      ) {
        throw new ActorStartError(
          key,
          `handler "${verb}" of ${cls.name} needs a schema and a function (use on())`,
        );
      }
    }
    try {
      await actor.onStart?.();
    } catch (error) {
      throw new ActorStartError(key, `onStart threw: ${toError(error).message}`, { cause: error });
    }
    if (started.failure) {
      throw new ActorStartError(key, `failed during start: ${started.failure.message}`, {
        cause: started.failure,
      });
    }
    const concurrency = Math.max(1, Math.floor(cls.mailboxConcurrency ?? 1));
    started.host = new ActorHost(address, actor, handlers, concurrency, link, log);
    return started.host;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Accepts one message. `reply` is present for asks; every ask gets exactly one reply. */
  receive(verb: string, body: unknown, from: Address | undefined, reply?: ReplyFn): void {
    this.stats.received++;
    if (observers.length > 0) notify((o) => o.received?.(this.address, verb));
    const once = reply ? this.replyOnce(verb, reply) : undefined;
    if (this.state !== 'running') {
      once?.({ ok: false, error: this.stoppedError(verb, `actor is ${this.state}`) });
      return;
    }
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, verb)
      ? (this.handlers[verb] as Handler<unknown, unknown>)
      : undefined;
    if (!handler) {
      this.reject(verb, 'verb', `no handler for verb "${verb}"`, once);
      return;
    }
    const issues = schemaIssues(handler.request, body);
    if (issues.length > 0) {
      this.reject(verb, issues[0].path, issueText(issues), once);
      return;
    }
    const item: Item = { handler, body, meta: from ? { verb, from } : { verb }, reply: once };
    if (handler.concurrent) {
      void this.run(item);
    } else {
      this.queue.push(item);
      this.pump();
    }
  }

  /** Refuses new messages, finishes queued and running ones, runs onStop. */
  async drain(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    await this.idle();
    await this.finish();
  }

  /** Refuses new messages, refuses the queued ones (ActorStoppedError), lets running ones finish, runs onStop. */
  async stop(): Promise<void> {
    if (this.state === 'running' || this.state === 'draining') this.state = 'stopping';
    this.refuseQueued('actor stopped');
    await this.idle();
    await this.finish();
  }

  /** After a failure or a kill: refuse everything queued and run onStop without waiting for running handlers. */
  async dispose(): Promise<void> {
    if (this.state !== 'stopped') {
      if (this.state !== 'failed') this.state = 'stopping';
      this.refuseQueued(`actor ${this.state === 'failed' ? 'failed' : 'was stopped'}`);
    }
    await this.finish();
  }

  /** Reports a failure to the supervisor once and stops taking messages. */
  failWith(kind: FailureKind, cause: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') {
      this.log.warn('failure after the actor stopped', { actor: this.key, cause: toError(cause) });
      return;
    }
    this.state = 'failed';
    this.stats.failed++;
    if (observers.length > 0) notify((o) => o.failed?.(this.address, kind));
    this.refuseQueued(`actor failed: ${toError(cause).message}`);
    this.link.fail(kind, toError(cause));
  }

  private requestStop(): void {
    if (this.state === 'running') this.link.stopSelf();
  }

  private stoppedError(verb: string, reason: string): SerializedError {
    return { kind: 'stopped', name: 'ActorStoppedError', message: reason };
  }

  /** Rejects a message the transport could not even read (counted as invalid, like a schema failure). */
  refuse(verb: string, field: string, message: string, reply?: ReplyFn): void {
    this.stats.received++;
    this.reject(verb, field, message, reply ? this.replyOnce(verb, reply) : undefined);
  }

  private reject(verb: string, field: string, message: string, reply: ReplyFn | undefined): void {
    this.stats.invalid++;
    if (observers.length > 0) notify((o) => o.invalid?.(this.address, verb, field));
    const error = new MessageValidationError(this.key, verb, field, message);
    if (reply) reply({ ok: false, error: serializeError('invalid', error) });
    else
      this.log.warn('dropped an invalid message', { actor: this.key, verb, field, error: message });
  }

  private replyOnce(verb: string, reply: ReplyFn): ReplyFn {
    let sent = false;
    return (result) => {
      if (sent) return;
      sent = true;
      try {
        reply(result);
      } catch (error) {
        // The reply could not be carried (not cloneable, not encodable): tell the asker why instead.
        this.log.warn('reply could not be sent', { actor: this.key, verb, error: toError(error) });
        try {
          reply({
            ok: false,
            error: serializeError(
              'remote',
              new Error(`reply could not be sent: ${toError(error).message}`),
            ),
          });
        } catch (second) {
          this.log.error('error reply could not be sent', {
            actor: this.key,
            verb,
            error: toError(second),
          });
        }
      }
    };
  }

  private pump(): void {
    while (
      (this.state === 'running' || this.state === 'draining') &&
      this.mailboxRunning < this.concurrency &&
      this.queue.length > 0
    ) {
      const item = this.queue.shift()!;
      this.mailboxRunning++;
      void this.run(item).finally(() => {
        this.mailboxRunning--;
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private async run(item: Item): Promise<void> {
    this.inFlight++;
    const startMs = observers.length > 0 ? performance.now() : 0;
    let ok = true;
    try {
      const result = await item.handler.fn(item.body, item.meta);
      if (item.reply) {
        const replySchema = item.handler.reply;
        const issues = replySchema ? schemaIssues(replySchema, result) : [];
        if (issues.length > 0) {
          const error = new Error(
            `reply does not match its schema [${issues[0].path}]: ${issueText(issues)}`,
          );
          error.name = 'ReplyValidationError';
          item.reply({ ok: false, error: serializeError('remote', error) });
        } else {
          item.reply({ ok: true, body: result });
        }
      }
      this.stats.completed++;
    } catch (error) {
      ok = false;
      if (item.reply) item.reply({ ok: false, error: serializeError('remote', error) });
      else this.failWith('handler', error);
    } finally {
      if (observers.length > 0) {
        const durationMs = performance.now() - startMs;
        notify((o) => o.handled?.(this.address, item.meta.verb, durationMs, ok));
      }
      this.inFlight--;
      this.checkIdle();
    }
  }

  private refuseQueued(reason: string): void {
    const items = this.queue.splice(0);
    for (const item of items)
      item.reply?.({ ok: false, error: this.stoppedError(item.meta.verb, reason) });
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.inFlight === 0 && this.queue.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const resolve of waiters) resolve();
    }
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async finish(): Promise<void> {
    if (this.stopHookRan) return;
    this.stopHookRan = true;
    if (this.state !== 'failed') this.state = 'stopped';
    try {
      await this.actor.onStop?.();
    } catch (error) {
      this.log.warn('onStop threw', { actor: this.key, error: toError(error) });
    }
    this.state = 'stopped';
  }
}
