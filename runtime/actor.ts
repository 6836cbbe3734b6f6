// What actor code is written against: the Actor base class, typed handlers (`on`, `implement`), shared
// protocols, and the context an actor talks through. Nothing here knows which transport carries the messages.
import type { Address } from './address.js';
import type { Logger } from './actor-log.js';
import type { Infer, Schema } from './schema.js';

/** Default time an ask waits for its reply. */
export const DEFAULT_ASK_TIMEOUT_MS = 10_000;

export interface AskOptions {
  /** How long to wait for the reply before rejecting with ActorTimeoutError (default 10 s). */
  timeoutMs?: number;
}

/** What a handler learns besides the message itself. */
export interface MessageMeta {
  readonly verb: string;
  /** The sending actor, when the sender was an actor (absent for the system facade). */
  readonly from?: Address;
}

/** One verb's handler: the request schema checked at the boundary, an optional reply schema, the code. */
export interface Handler<Req = unknown, Res = unknown> {
  readonly request: Schema<Req>;
  readonly reply?: Schema<Res>;
  /**
   * Run as soon as it arrives instead of queueing behind the mailbox. For handlers that wait on something
   * other messages provide (a pull that waits for items), which would otherwise block the mailbox.
   */
  readonly concurrent: boolean;
  readonly fn: (msg: Req, meta: MessageMeta) => Res | Promise<Res>;
}

// Handlers are stored with their own message types erased: the host checks each message against the
// handler's schema before the call, which is what makes the erasure safe.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handlers = Readonly<Record<string, Handler<any, any>>>;

export interface HandlerOptions<R> {
  reply?: Schema<R>;
  concurrent?: boolean;
}

/** A handler for messages matching `request`; `msg` is typed from the schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function on<S extends Schema<any>, R>(
  request: S,
  fn: (msg: Infer<S>, meta: MessageMeta) => R | Promise<R>,
  options: HandlerOptions<Awaited<R>> = {},
): Handler<Infer<S>, Awaited<R>> {
  return {
    request,
    reply: options.reply,
    concurrent: options.concurrent ?? false,
    fn: fn as (msg: Infer<S>, meta: MessageMeta) => Awaited<R> | Promise<Awaited<R>>,
  };
}

/** One verb of a protocol: its request schema, reply schema (omit for tell-only verbs). */
export interface VerbSpec<Req = unknown, Res = unknown> {
  readonly request: Schema<Req>;
  readonly reply?: Schema<Res>;
  readonly concurrent?: boolean;
}

/** Verbs an actor answers, declared once and imported by both the actor and its callers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Protocol = Readonly<Record<string, VerbSpec<any, any>>>;

/** The protocol of an actor whose verbs are not known statically: messages and replies are unknown. */
export type AnyProtocol = Readonly<Record<string, VerbSpec<unknown, unknown>>>;

export type VerbOf<P> = Extract<keyof P, string>;
export type RequestOf<P, V extends keyof P> = P[V] extends { request: infer S }
  ? Infer<S>
  : unknown;
/** The reply type of a verb: from its reply schema; unknown when the protocol is not known; void for tell-only verbs. */
export type ReplyOf<P, V extends keyof P> = P[V] extends { reply: Schema<infer R> }
  ? R
  : 'reply' extends keyof P[V]
    ? unknown
    : void;

/** Declares a protocol (identity at runtime; keeps the literal verb names in the type). */
export function defineProtocol<const P extends Protocol>(protocol: P): P {
  return protocol;
}

/** The handler functions an actor supplies for a protocol, typed from its schemas. */
export type Implementation<P extends Protocol> = {
  [V in VerbOf<P>]: (
    msg: RequestOf<P, V>,
    meta: MessageMeta,
  ) => ReplyOf<P, V> | Promise<ReplyOf<P, V>>;
};

/** Handlers for every verb of `protocol`, with the protocol's schemas attached. */
export function implement<P extends Protocol>(protocol: P, impl: Implementation<P>): Handlers {
  const out: Record<string, Handler<unknown, unknown>> = {};
  for (const verb of Object.keys(protocol)) {
    const spec = protocol[verb];
    const fn = (impl as Record<string, Handler<unknown, unknown>['fn']>)[verb];
    if (typeof fn !== 'function') throw new TypeError(`no implementation for verb "${verb}"`);
    out[verb] = {
      request: spec.request,
      reply: spec.reply,
      concurrent: spec.concurrent ?? false,
      fn,
    };
  }
  return out;
}

/** A typed handle for sending to one address (or pool). */
export interface ActorClient<P extends Protocol = AnyProtocol> {
  readonly address: Address;
  /** One-way: no reply, no error if nobody listens. */
  tell<V extends VerbOf<P>>(verb: V, msg: RequestOf<P, V>): void;
  /** Request/reply: rejects with ActorTimeoutError, NoResponderError, RemoteActorError or MessageValidationError. */
  ask<V extends VerbOf<P>>(
    verb: V,
    msg: RequestOf<P, V>,
    options?: AskOptions,
  ): Promise<ReplyOf<P, V>>;
}

/** The actor's window on the world. The same for every transport. */
export interface ActorContext<Config = unknown> {
  readonly self: Address;
  readonly config: Config;
  readonly log: Logger;
  tell(to: Address, verb: string, msg?: unknown): void;
  ask<R = unknown>(to: Address, verb: string, msg?: unknown, options?: AskOptions): Promise<R>;
  /** A typed client for `to`, checked at compile time against `protocol`. */
  client<P extends Protocol = AnyProtocol>(to: Address, protocol?: P): ActorClient<P>;
  /** Stops this actor once the running message finishes; a stop, not a failure, so it is not restarted. */
  stopSelf(): void;
  /** Reports a failure to the supervisor, as a throwing tell handler would (for timers and background loops). */
  fail(cause: unknown): void;
}

/**
 * Base of every actor. Subclasses declare `readonly handlers = { verb: on(schema, (msg) => ...) }` (or
 * `implement(Protocol, {...})`), optionally `static configSchema` and the lifecycle hooks.
 */
export abstract class Actor<Config = unknown> {
  /** Checked against the spawn config before the constructor runs; failures name the field. */
  static configSchema?: Schema<unknown>;
  /** How many mailbox messages run at once; 1 is the classic one-at-a-time actor. */
  static mailboxConcurrency = 1;

  abstract readonly handlers: Handlers;

  constructor(protected readonly ctx: ActorContext<Config>) {}

  /** Runs before the first message; a throw is a start failure reported to the supervisor. */
  onStart?(): void | Promise<void>;
  /** Runs after the last message when the actor stops or drains. */
  onStop?(): void | Promise<void>;
}

/** The constructor side of an actor class. */
export interface ActorClass<Config = unknown> {
  new (ctx: ActorContext<Config>): Actor<Config>;
  readonly name: string;
  configSchema?: Schema<unknown>;
  mailboxConcurrency?: number;
}

/** A client over any ask/tell function pair: shared by contexts, the system and refs. */
export function makeClient<P extends Protocol>(
  address: Address,
  send: {
    tell(to: Address, verb: string, msg: unknown): void;
    ask(to: Address, verb: string, msg: unknown, options?: AskOptions): Promise<unknown>;
  },
): ActorClient<P> {
  return {
    address,
    tell: (verb, msg) => send.tell(address, verb, msg),
    ask: (verb, msg, options) =>
      send.ask(address, verb, msg, options) as Promise<ReplyOf<P, VerbOf<P>>>,
  } as ActorClient<P>;
}
