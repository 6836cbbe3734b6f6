// Entry of an actor's worker thread: loads the actor class named in workerData, hosts it, and speaks the
// router protocol over parentPort (deliveries and replies in; tells, asks, replies and failures out).
import { parentPort, workerData } from 'node:worker_threads';
import { ActorHost, type Reply } from '../actor-host.js';
import { addressKey, type Address } from '../address.js';
import { ActorTimeoutError, reviveError, serializeError, TransportError } from '../actor-errors.js';
import { consoleLogger } from '../actor-log.js';
import { loadActorClass } from '../actor-spec.js';
import type { FromWorker, InprocWorkerData, ToWorker } from './inproc-protocol.js';

const port = parentPort!;
const data = workerData as InprocWorkerData;
const log = consoleLogger({ actor: addressKey(data.address), thread: 'worker' });

interface Pending {
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  to: string;
  verb: string;
}
const pending = new Map<number, Pending>();
let nextAskId = 1;
let host: ActorHost | undefined;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function postReply(id: number, reply: Reply): void {
  post(
    reply.ok
      ? { k: 'reply', id, ok: true, body: reply.body }
      : { k: 'reply', id, ok: false, error: reply.error },
  );
}

function ask(to: Address, verb: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const id = nextAskId++;
  return new Promise((resolve, reject) => {
    // The router enforces the same timeout; this one also covers a router too busy to answer.
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new ActorTimeoutError(addressKey(to), verb, timeoutMs));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer, to: addressKey(to), verb });
    try {
      post({ k: 'ask', id, to, verb, body, timeoutMs });
    } catch (error) {
      clearTimeout(timer);
      pending.delete(id);
      reject(
        new TransportError(
          addressKey(to),
          verb,
          `message could not be sent: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    }
  });
}

port.on('message', (message: ToWorker) => {
  switch (message.k) {
    case 'deliver': {
      if (!host) return;
      const { id } = message;
      host.receive(
        message.verb,
        message.body,
        message.from,
        id === undefined ? undefined : (r) => postReply(id, r),
      );
      return;
    }
    case 'reply': {
      const p = pending.get(message.id);
      if (!p) return;
      pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.ok) p.resolve(message.body);
      else p.reject(reviveError(message.error, p.to, p.verb));
      return;
    }
    case 'drain':
    case 'stop': {
      const done = host ? (message.k === 'drain' ? host.drain() : host.stop()) : Promise.resolve();
      void done.then(() => post({ k: 'stopped' }));
      return;
    }
  }
});

try {
  const cls = await loadActorClass(data.spec);
  host = await ActorHost.start(
    cls,
    data.address,
    data.config,
    {
      tell: (_from, to, verb, body) => post({ k: 'tell', to, verb, body }),
      ask: (_from, to, verb, body, timeoutMs) => ask(to, verb, body, timeoutMs),
      fail: (kind, cause) => post({ k: 'failure', kind, error: serializeError('remote', cause) }),
      stopSelf: () => post({ k: 'stop-self' }),
    },
    log,
  );
  post({ k: 'started' });
} catch (error) {
  post({ k: 'start-failed', error: serializeError('start', error) });
}
