// The nats-server helper other tests rely on: free ports without clashes, the configured max_payload and
// auth really in force, restart on the same port, clean stop, and clear errors when it cannot start.
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { NatsServerError, startNatsServer } from '../helpers/nats-server.js';

describe('nats-server helper', () => {
  it('starts servers on distinct free ports with the configured max_payload', async () => {
    const [a, b] = await Promise.all([
      startNatsServer({ maxPayloadBytes: 2 * 1024 * 1024 }),
      startNatsServer(),
    ]);
    try {
      expect(a.port).not.toBe(b.port);
      const nc = await connect({ servers: a.url });
      expect(nc.info?.max_payload).toBe(2 * 1024 * 1024);
      await nc.close();
      const nc2 = await connect({ servers: b.url });
      expect(nc2.info?.max_payload).toBe(8 * 1024 * 1024);
      await nc2.close();
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('restarts on the same port and stops cleanly, removing its config', async () => {
    const server = await startNatsServer({ auth: { token: 'tok' } });
    const port = server.port;
    const firstPid = server.pid;
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(firstPid);
    const nc = await connect({ servers: server.url, token: 'tok' });
    expect(nc.info?.auth_required).toBe(true);
    await nc.close();
    const dir = path.dirname(server.configFile);
    await server.stop();
    expect(server.pid).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    await expect(
      connect({ servers: server.url, maxReconnectAttempts: 0, timeout: 1000 }),
    ).rejects.toThrow();
  });

  it('reports a death it did not cause, and not a stop or restart it was asked for', async () => {
    const deaths: string[] = [];
    const server = await startNatsServer({ onUnexpectedExit: (how) => deaths.push(how) });
    try {
      await server.restart();
      expect(deaths).toEqual([]);
      const died = new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (deaths.length === 0) return;
          clearInterval(poll);
          resolve();
        }, 20);
      });
      process.kill(server.pid!, 'SIGKILL');
      await died;
      expect(deaths).toEqual(['signal SIGKILL']);
      expect(server.pid).toBeUndefined();
      // Same port, same config: a client connects again.
      await server.restart();
      const nc = await connect({ servers: server.url });
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(deaths).toEqual(['signal SIGKILL']);
  });

  it('fails with the server output when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const error = await startNatsServer({ port, startTimeoutMs: 5000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NatsServerError);
      expect((error as Error).message).toMatch(new RegExp(`${port}`));
    } finally {
      blocker.close();
    }
  });

  it('fails clearly when the binary cannot be run', async () => {
    const error = await startNatsServer({
      binary: '/nonexistent/nats-server',
      startTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NatsServerError);
    expect((error as Error).message).toMatch(/did not start: .*ENOENT/);
  });
});
