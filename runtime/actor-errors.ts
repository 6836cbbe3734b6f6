// Typed errors of the actor runtime (timeouts, no responder, remote failures, bad messages) and their
// wire form, so an error raised in another thread or process is rebuilt as the same class on the asker's side.
import { WeftError, type CauseOptions } from './errors.js';

/** Base of every actor error: `address` is `job/role/index`, `verb` the message verb when there is one. */
export class ActorError extends WeftError {
  readonly address: string;
  readonly verb?: string;
  constructor(
    code: string,
    address: string,
    verb: string | undefined,
    message: string,
    options?: CauseOptions,
  ) {
    super(code, `${address}${verb ? ` "${verb}"` : ''}: ${message}`, options);
    this.address = address;
    this.verb = verb;
  }
}

/** No reply within `timeoutMs`. */
export class ActorTimeoutError extends ActorError {
  readonly timeoutMs: number;
  constructor(
    address: string,
    verb: string | undefined,
    timeoutMs: number,
    options?: CauseOptions,
  ) {
    super('actor-timeout', address, verb, `no reply within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** Nothing is listening at that address (no actor spawned there, or it stopped). */
export class NoResponderError extends ActorError {
  constructor(address: string, verb: string | undefined, options?: CauseOptions) {
    super('no-responder', address, verb, 'no actor at this address', options);
  }
}

/** The remote handler threw: `remoteName`/`remoteMessage` describe it and `cause` rebuilds it as an Error. */
export class RemoteActorError extends ActorError {
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteCode?: string;
  constructor(
    address: string,
    verb: string | undefined,
    remote: { name: string; message: string; code?: string; stack?: string },
  ) {
    const cause = new Error(remote.message);
    cause.name = remote.name;
    if (remote.stack) cause.stack = remote.stack;
    super('remote-actor', address, verb, `handler failed: ${remote.name}: ${remote.message}`, {
      cause,
    });
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
    this.remoteCode = remote.code;
  }
}

/** The message does not match the handler's schema (or names no handler): `field` says where. */
export class MessageValidationError extends ActorError {
  readonly field: string;
  constructor(address: string, verb: string | undefined, field: string, message: string) {
    super(
      'invalid-message',
      address,
      verb,
      `invalid message${field ? ` [${field}]` : ''}: ${message}`,
    );
    this.field = field;
  }
}

/** The actor stopped, drained, failed or lost its thread/process before it replied. */
export class ActorStoppedError extends ActorError {
  constructor(address: string, verb: string | undefined, reason: string, options?: CauseOptions) {
    super('actor-stopped', address, verb, reason, options);
  }
}

/** The transport itself failed (connection closed, payload could not be moved). */
export class TransportError extends ActorError {
  constructor(address: string, verb: string | undefined, message: string, options?: CauseOptions) {
    super('transport', address, verb, message, options);
  }
}

/**
 * The NATS server refused to carry the message: this connection's user may not publish to the
 * verb's subject. Not transient: asking again is refused again, so it fails at once.
 */
export class PermissionDeniedError extends ActorError {
  readonly subject: string;
  constructor(address: string, verb: string | undefined, subject: string, options?: CauseOptions) {
    super(
      'permission-denied',
      address,
      verb,
      `the NATS server refused to carry it: this user may not publish to "${subject}"`,
      options,
    );
    this.subject = subject;
  }
}

/** The actor could not start (bad config, constructor or onStart threw); the cause says why. */
export class ActorStartError extends ActorError {
  constructor(address: string, message: string, options?: CauseOptions) {
    super('actor-start', address, undefined, message, options);
  }
}

export type SerializedErrorKind =
  'remote' | 'invalid' | 'stopped' | 'timeout' | 'no-responder' | 'transport' | 'start';

/** An error as it crosses a thread or process boundary (structured clone or msgpack). */
export interface SerializedError {
  kind: SerializedErrorKind;
  name: string;
  message: string;
  code?: string;
  field?: string;
  stack?: string;
  timeoutMs?: number;
  cause?: SerializedError;
}

/** Wire form of any thrown value. `kind` decides which class the receiver rebuilds. */
export function serializeError(kind: SerializedErrorKind, error: unknown): SerializedError {
  if (error instanceof ActorError) {
    // An actor error passed along keeps its own kind: a handler that awaited a timed-out ask and
    // rethrew still reports a remote failure, but an error from this runtime keeps its detail.
    const out: SerializedError = {
      kind,
      name: error.name,
      message: kind === 'remote' ? error.message : bareMessage(error),
      // A remote failure passed along keeps the code of the error that started it.
      code: (error instanceof RemoteActorError && error.remoteCode) || error.code,
      stack: error.stack,
    };
    if (error instanceof MessageValidationError) out.field = error.field;
    if (error instanceof ActorTimeoutError) out.timeoutMs = error.timeoutMs;
    return out;
  }
  if (error instanceof Error) {
    const out: SerializedError = {
      kind,
      name: error.name,
      message: error.message,
      stack: error.stack,
    };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    const field = (error as { field?: unknown }).field;
    if (typeof field === 'string') out.field = field;
    if (error.cause !== undefined && kind === 'start')
      out.cause = serializeError(kind, error.cause);
    return out;
  }
  return { kind, name: 'Error', message: String(error) };
}

function bareMessage(error: ActorError): string {
  const prefix = `${error.address}${error.verb ? ` "${error.verb}"` : ''}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** Rebuilds a serialized error as the class its kind names, for an ask sent to `address`/`verb`. */
export function reviveError(
  error: SerializedError,
  address: string,
  verb: string | undefined,
): Error {
  switch (error.kind) {
    case 'timeout':
      return new ActorTimeoutError(address, verb, error.timeoutMs ?? 0);
    case 'no-responder':
      return new NoResponderError(address, verb);
    case 'invalid':
      return new MessageValidationError(
        address,
        verb,
        error.field ?? '',
        error.message.replace(/^invalid message(?: \[[^\]]*\])?: /, ''),
      );
    case 'stopped':
      return new ActorStoppedError(address, verb, error.message);
    case 'transport':
      return new TransportError(address, verb, error.message);
    case 'start':
      return new ActorStartError(address, error.message, {
        cause: error.cause ? reviveCause(error.cause) : undefined,
      });
    case 'remote':
    default:
      return new RemoteActorError(address, verb, {
        name: error.name,
        message: error.message,
        code: error.code,
        stack: error.stack,
      });
  }
}

function reviveCause(error: SerializedError): Error {
  const out = new Error(error.message);
  out.name = error.name;
  if (error.stack) out.stack = error.stack;
  if (error.field) (out as Error & { field?: string }).field = error.field;
  return out;
}

/** Revives an error that describes a failure (not an ask reply): a plain Error with name, message and stack. */
export function reviveFailure(error: SerializedError): Error {
  const out = reviveCause(error);
  if (error.cause) out.cause = reviveCause(error.cause);
  return out;
}
