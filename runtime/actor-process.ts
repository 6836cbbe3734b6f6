// Entry of a child process that hosts one actor on NATS for a supervising parent: connects, hosts the actor,
// publishes heartbeats, and reports start, failures and fatal errors over the IPC channel.
import { addressKey } from './address.js';
import { serializeError } from './actor-errors.js';
import { consoleLogger } from './actor-log.js';
import { NatsTransport } from './transports/nats.js';
import type { FromChild, ToChild } from './transports/nats-process.js';
import type { ActorHandle } from './transports/transport.js';

if (!process.send) {
  process.stderr.write(
    'runtime/actor-process.ts is started by a supervisor (child_process.fork), not by hand\n',
  );
  process.exit(2);
}

let transport: NatsTransport | undefined;
let handle: ActorHandle | undefined;
let log = consoleLogger({ process: process.pid });

function send(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

async function fatal(error: unknown): Promise<void> {
  log.error('fatal error in actor process', { error: error as Error });
  // Tell the parent why before dying, so its supervisor reports the real cause; never wait long for it.
  await Promise.race([
    send({ k: 'fatal', error: serializeError('remote', error) }),
    new Promise((r) => setTimeout(r, 1000)),
  ]);
  process.exit(1);
}

process.on('uncaughtException', (error) => void fatal(error));
process.on('unhandledRejection', (error) => void fatal(error));

async function finish(kind: 'drain' | 'stop'): Promise<void> {
  if (handle) await (kind === 'drain' ? handle.drain(30_000) : handle.stop(30_000));
  await send({ k: 'stopped' });
  await transport?.close();
  process.exit(0);
}

async function init(message: Extract<ToChild, { k: 'init' }>): Promise<void> {
  log = consoleLogger({ actor: addressKey(message.address), process: process.pid });
  try {
    transport = await NatsTransport.connect({
      config: message.nats,
      logger: log,
      heartbeatMs: message.heartbeatMs,
    });
    handle = await transport.host({
      spec: message.spec,
      address: message.address,
      config: message.config,
      pools: message.pools,
      placement: 'local',
      // The actor's own stopSelf is passed to the parent, so its supervisor forgets it instead of restarting it.
      onFailure: (kind, cause) =>
        void send({ k: 'failure', kind, error: serializeError('remote', cause) }),
      onSelfStop: () => void send({ k: 'stop-self' }),
    });
  } catch (error) {
    await send({ k: 'start-failed', error: serializeError('start', error) });
    await transport?.close();
    process.exit(1);
  }
  await send({ k: 'started' });
}

process.on('message', (message: ToChild) => {
  if (message.k === 'init') void init(message);
  else void finish(message.k);
});

// The parent is gone (crashed or killed): do not linger as an orphan holding the address.
process.on('disconnect', () => void finish('stop'));
