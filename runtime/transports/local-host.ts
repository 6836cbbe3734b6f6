// Hosting an actor in the transport's own thread: both transports start a 'local' actor the same way,
// an ActorHost whose tell and ask go back out through the transport.
import { ActorHost, type HostLink } from '../actor-host.js';
import type { Address } from '../address.js';
import { addressKey } from '../address.js';
import type { Logger } from '../actor-log.js';
import { loadActorClass } from '../actor-spec.js';
import type { HostRequest, Transport } from './transport.js';

/** A started local actor: its host, and the logger that names it. */
export interface LocalHost {
  readonly host: ActorHost;
  readonly log: Logger;
}

/**
 * Loads the requested actor class and starts it here; `handle` gets its failures and its requests to
 * stop itself.
 */
export async function startLocalHost(
  transport: Pick<Transport, 'tell' | 'ask'> & { readonly log: Logger },
  request: HostRequest,
  address: Address,
  handle: Pick<HostLink, 'fail' | 'stopSelf'>,
): Promise<LocalHost> {
  const cls = await loadActorClass(request.spec);
  const log = transport.log.child({ actor: addressKey(address) });
  const link: HostLink = {
    tell: (from, to, verb, body) => transport.tell(from, to, verb, body),
    ask: (from, to, verb, body, timeoutMs) => transport.ask(from, to, verb, body, timeoutMs),
    fail: (kind, cause) => handle.fail(kind, cause),
    stopSelf: () => handle.stopSelf(),
  };
  return { host: await ActorHost.start(cls, address, request.config, link, log), log };
}
