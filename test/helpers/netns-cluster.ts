// Test helper: "hosts" in their own network namespaces on one bridge, each running a nats-server of
// one NATS cluster (routes to the others), and processes started inside a host; everything torn down after.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer } from '../../runtime/nats-server.js';

export interface NetnsHost {
  /** Position of the host, 0-based. */
  readonly index: number;
  /** Network namespace name. */
  readonly ns: string;
  /** The host's address on the bridge. */
  readonly ip: string;
  /** `nats://ip:4222` of the host's own nats-server. */
  readonly natsUrl: string;
  /** The host's nats-server process (undefined once killed). */
  server?: ChildProcess;
}

export interface NetnsCluster {
  readonly hosts: readonly NetnsHost[];
  /** Name of the NATS cluster the servers form. */
  readonly clusterName: string;
  /** This host's server first, then the other hosts' (what a client on that host connects with). */
  serversFor(index: number): string[];
  /** Resolves once every server reports routes to all the others (monitoring /routez). */
  waitForRoutes(timeoutMs?: number): Promise<void>;
  /** Client connections a host's server holds now (monitoring /connz): their names. */
  clientNames(index: number): Promise<string[]>;
  /** Kills a host's nats-server with SIGKILL and waits until it is gone. */
  killServer(index: number): Promise<void>;
  /** Starts `command args` inside a host's namespace. */
  spawnIn(index: number, command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Kills every process started here and every server, deletes namespaces, links and files. */
  destroy(): Promise<void>;
}

const run = (args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** Why network-namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'network namespaces need root';
  if (!findNatsServer()) return 'nats-server is not installed';
  const probe = `wfprobe${randomBytes(3).toString('hex')}`;
  try {
    run(['netns', 'add', probe]);
    run(['netns', 'del', probe]);
    return undefined;
  } catch (error) {
    return `\`ip netns\` is unavailable: ${(error as Error).message.split('\n')[0]}`;
  }
}

const MONITOR_PORT = 8222;
const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Creates `count` namespaces on a fresh bridge (addresses 10.X.Y.1..count, the bridge .254 so this
 * process reaches every host), and starts a clustered nats-server in each with `max_payload`.
 * Names carry a random id, so parallel runs never collide; `destroy` removes all of it.
 */
export async function startNetnsCluster(
  options: { count?: number; maxPayloadBytes?: number } = {},
): Promise<NetnsCluster> {
  const count = options.count ?? 3;
  const maxPayloadBytes = options.maxPayloadBytes ?? 8 * 1024 * 1024;
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server is not installed');
  const id = randomBytes(3).toString('hex');
  const subnet = `10.${200 + (parseInt(id.slice(0, 2), 16) % 50)}.${parseInt(id.slice(2, 4), 16)}`;
  const bridge = `wfbr${id}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-netns-'));
  const clusterName = `weft-${id}`;
  const hosts: NetnsHost[] = [];
  const created: { namespaces: string[]; links: string[] } = { namespaces: [], links: [] };
  const children = new Set<ChildProcess>();
  const logs = new Map<number, string>();

  const destroy = async (): Promise<void> => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) r();
            else c.once('exit', () => r());
          }),
      ),
    );
    children.clear();
    process.removeListener('exit', killAll);
    for (const link of created.links) {
      try {
        run(['link', 'del', link]);
      } catch {
        // A veth goes away with its peer's namespace; the bridge may already be gone.
      }
    }
    for (const ns of created.namespaces) {
      try {
        run(['netns', 'del', ns]);
      } catch {
        // Already deleted.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const spawnIn = (index: number, command: string, args: string[], opts: SpawnOptions = {}) => {
    const child = spawn('ip', ['netns', 'exec', hosts[index].ns, command, ...args], opts);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  // A test runner that exits without afterAll must not leave servers or actors behind.
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  try {
    run(['link', 'add', bridge, 'type', 'bridge']);
    created.links.push(bridge);
    run(['addr', 'add', `${subnet}.254/24`, 'dev', bridge]);
    run(['link', 'set', bridge, 'up']);
    for (let i = 0; i < count; i++) {
      const ns = `wf${id}h${i}`;
      const outside = `wf${id}v${i}`;
      const inside = `wf${id}p${i}`;
      const ip = `${subnet}.${i + 1}`;
      run(['netns', 'add', ns]);
      created.namespaces.push(ns);
      run(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      created.links.push(outside);
      run(['link', 'set', inside, 'netns', ns]);
      run(['link', 'set', outside, 'master', bridge]);
      run(['link', 'set', outside, 'up']);
      run(['netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', inside]);
      run(['netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up']);
      run(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      hosts.push({ index: i, ns, ip, natsUrl: `nats://${ip}:${CLIENT_PORT}` });
    }
    for (const h of hosts) {
      const routes = hosts
        .filter((o) => o !== h)
        .map((o) => JSON.stringify(`nats-route://${o.ip}:${ROUTE_PORT}`));
      const config = [
        `server_name: ${JSON.stringify(`host${h.index}`)}`,
        `listen: ${JSON.stringify(`${h.ip}:${CLIENT_PORT}`)}`,
        `http: ${JSON.stringify(`${h.ip}:${MONITOR_PORT}`)}`,
        `max_payload: ${maxPayloadBytes}`,
        `max_pending: ${Math.max(64 * 1024 * 1024, 4 * maxPayloadBytes)}`,
        `cluster {`,
        `  name: ${JSON.stringify(clusterName)}`,
        `  listen: ${JSON.stringify(`${h.ip}:${ROUTE_PORT}`)}`,
        `  routes: [${routes.join(', ')}]`,
        `}`,
      ].join('\n');
      const file = path.join(dir, `host${h.index}.conf`);
      writeFileSync(file, `${config}\n`);
      // `ip netns exec` execs the command, so the child's pid is the server's.
      const child = spawnIn(h.index, binary, ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      logs.set(h.index, '');
      const append = (b: Buffer) => logs.set(h.index, (logs.get(h.index)! + b).slice(-32_768));
      child.stdout!.on('data', append);
      child.stderr!.on('data', append);
      h.server = child;
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  const cluster: NetnsCluster = {
    hosts,
    clusterName,
    serversFor: (index) => [
      hosts[index].natsUrl,
      ...hosts.filter((h) => h.index !== index).map((h) => h.natsUrl),
    ],
    async waitForRoutes(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await Promise.all(
          hosts.map((h) =>
            h.server
              ? getJson(`http://${h.ip}:${MONITOR_PORT}/routez`)
                  .then((r) => Number(r.num_routes ?? 0))
                  .catch(() => -1)
              : Promise.resolve(count - 1),
          ),
        );
        if (counts.every((n) => n >= count - 1)) return;
        if (Date.now() > deadline) {
          const tails = hosts.map((h) => `host${h.index}: ${logs.get(h.index)!.slice(-600)}`);
          throw new Error(
            `routes did not form within ${timeoutMs} ms (routes per server: ${counts.join(', ')})\n${tails.join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async clientNames(index) {
      const r = await getJson(`http://${hosts[index].ip}:${MONITOR_PORT}/connz?limit=1024`);
      return ((r.connections ?? []) as { name?: string }[]).map((c) => c.name ?? '');
    },
    async killServer(index) {
      const child = hosts[index].server;
      hosts[index].server = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    },
    spawnIn,
    destroy,
  };
  return cluster;
}
