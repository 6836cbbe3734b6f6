import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));
const values = parse(readFileSync(path.join(root, 'deploy/nats/values.yaml'), 'utf8'));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// The chart writes config.merge into nats.conf, with `<< x >>` values unquoted.
function mergeAsNatsConf(merge: Record<string, unknown>): string {
  return Object.entries(merge)
    .map(([k, v]) => {
      const raw = /^<<\s*(.*?)\s*>>$/.exec(String(v));
      return `${k}: ${raw ? raw[1] : JSON.stringify(v)}`;
    })
    .join('\n');
}

describe('deploy/nats/values.yaml', () => {
  it('asks the chart for a 3-server cluster with JetStream and an 8MB max_payload', () => {
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.enabled).toBe(true);
    expect(values.config.merge.max_payload).toBe('<< 8MB >>');
  });

  it('merges into a nats.conf a real nats-server accepts, with max_payload 8 MiB', async (ctx) => {
    if (!NATS_SERVER) {
      ctx.skip(
        'nats-server not installed (Debian package nats-server; scripts/test-all.sh installs it)',
      );
      return;
    }
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-nats-'));
    const port = await freePort();
    const httpPort = await freePort();
    const conf = path.join(tmp, 'nats.conf');
    writeFileSync(
      conf,
      `port: ${port}\nhttp_port: ${httpPort}\n${mergeAsNatsConf(values.config.merge)}\n`,
    );
    const check = spawnSync(NATS_SERVER, ['-c', conf, '-t'], { encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toContain('is valid');
    const server = spawn(NATS_SERVER, ['-c', conf], { stdio: 'ignore' });
    try {
      let varz: { max_payload?: number; max_pending?: number } | undefined;
      for (let i = 0; i < 100 && !varz; i++) {
        await new Promise((r) => setTimeout(r, 100));
        varz = await fetch(`http://127.0.0.1:${httpPort}/varz`)
          .then((r) => r.json() as Promise<{ max_payload: number; max_pending: number }>)
          .catch(() => undefined);
      }
      expect(varz?.max_payload).toBe(8 * 2 ** 20);
      expect(varz?.max_pending).toBe(64 * 2 ** 20);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
