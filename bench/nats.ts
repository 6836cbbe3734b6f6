// Benchmark of asks over NATS on loopback (nats-server, max_payload 8 MB): latency p50/p99 with one ask in
// flight and throughput with several, for 1 KB .. 4 MB payloads, actor layer against raw request/reply.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Actor, on } from '../runtime/actor.js';
import { silentLogger } from '../runtime/actor-log.js';
import { ActorSystem } from '../runtime/actor-system.js';
import { startNatsServer } from '../runtime/nats-server.js';
import { s } from '../runtime/schema.js';
import { gitCommit } from './git-commit.js';

const PAYLOADS = [1024, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const CONCURRENCY = 4;
/** Wall time spent per measurement (latency and throughput each). */
const BUDGET_MS = 1000;
/** Each case is measured this many times, interleaved with the others; the medians are reported. */
const ROUNDS = 3;

/** The benchmarked actor: `sink` answers a payload with its size, `echo` sends it back. */
export class BenchActor extends Actor {
  readonly handlers = {
    sink: on(s.object({ data: s.typedArray('float32') }), ({ data }) => data.byteLength),
    echo: on(s.object({ data: s.typedArray('float32') }), (msg) => msg),
  };
}

type Mode = 'sink' | 'echo';
type Impl = 'actor' | 'raw';
type Ask = (payload: Float32Array) => Promise<unknown>;

interface Row {
  impl: Impl;
  mode: Mode;
  payloadBytes: number;
  latency: { asks: number; p50Ms: number; p99Ms: number; meanMs: number };
  throughput: { asks: number; concurrency: number; asksPerSec: number; payloadMBPerSec: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Medians over rounds of one case, with every round's throughput kept for the record. */
function combine(
  rounds: Row[],
): Row & { rounds: { p50Ms: number; p99Ms: number; asksPerSec: number }[] } {
  const first = rounds[0];
  return {
    impl: first.impl,
    mode: first.mode,
    payloadBytes: first.payloadBytes,
    latency: {
      asks: rounds.reduce((a, r) => a + r.latency.asks, 0),
      p50Ms: median(rounds.map((r) => r.latency.p50Ms)),
      p99Ms: median(rounds.map((r) => r.latency.p99Ms)),
      meanMs: median(rounds.map((r) => r.latency.meanMs)),
    },
    throughput: {
      asks: rounds.reduce((a, r) => a + r.throughput.asks, 0),
      concurrency: first.throughput.concurrency,
      asksPerSec: median(rounds.map((r) => r.throughput.asksPerSec)),
      payloadMBPerSec: median(rounds.map((r) => r.throughput.payloadMBPerSec)),
    },
    rounds: rounds.map((r) => ({
      p50Ms: r.latency.p50Ms,
      p99Ms: r.latency.p99Ms,
      asksPerSec: r.throughput.asksPerSec,
    })),
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function measure(impl: Impl, mode: Mode, bytes: number, ask: Ask): Promise<Row> {
  const payload = new Float32Array(bytes / 4).map((_, i) => i);
  for (let i = 0; i < 3; i++) await ask(payload); // warm up
  const times: number[] = [];
  const latencyEnd = performance.now() + BUDGET_MS;
  while (performance.now() < latencyEnd || times.length < 5) {
    const t0 = performance.now();
    await ask(payload);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  let done = 0;
  const t0 = performance.now();
  const end = t0 + BUDGET_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end || done < CONCURRENCY * 2) {
        await ask(payload);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const directions = mode === 'echo' ? 2 : 1;
  return {
    impl,
    mode,
    payloadBytes: bytes,
    latency: {
      asks: times.length,
      p50Ms: +percentile(times, 0.5).toFixed(3),
      p99Ms: +percentile(times, 0.99).toFixed(3),
      meanMs: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(3),
    },
    throughput: {
      asks: done,
      concurrency: CONCURRENCY,
      asksPerSec: +(done / seconds).toFixed(1),
      payloadMBPerSec: +((done * bytes * directions) / seconds / 1e6).toFixed(1),
    },
  };
}

/** Child mode: a bare request/reply responder on raw NATS, the baseline without the actor layer. */
async function rawResponder(url: string): Promise<void> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const size = new TextEncoder().encode('ok');
  nc.subscribe('raw.sink', { callback: (_e, m) => void m.respond(size) });
  nc.subscribe('raw.echo', { callback: (_e, m) => void m.respond(m.data) });
  await nc.flush();
  process.send!('ready');
  process.on('disconnect', () => void nc.close().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const loadavgStart = os.loadavg();
  const server = await startNatsServer({ maxPayloadBytes: 8 * 1024 * 1024 });
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { servers: server.url },
    logger: silentLogger,
  });
  const self = fileURLToPath(import.meta.url);
  const raw: ChildProcess = fork(self, ['--raw-responder', server.url], {
    execArgv: process.execArgv,
  });
  await new Promise((resolve) => raw.once('message', resolve));
  const nc: NatsConnection = await connect({ servers: server.url, noAsyncTraces: true });
  const measured = new Map<string, Row[]>();
  let rows: ReturnType<typeof combine>[];
  try {
    const actor = await system.spawn(
      { module: new URL(import.meta.url), export: 'BenchActor' },
      { job: 'bench', role: 'nats', index: 0 },
      { placement: 'process' },
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const bytes of PAYLOADS) {
        for (const mode of ['sink', 'echo'] as const) {
          const viaActor: Ask = (data) => actor.ask(mode, { data }, { timeoutMs: 60_000 });
          const viaRaw: Ask = (data) =>
            nc.request(`raw.${mode}`, new Uint8Array(data.buffer), { timeout: 60_000 });
          for (const [impl, ask] of [
            ['actor', viaActor],
            ['raw', viaRaw],
          ] as const) {
            const row = await measure(impl, mode, bytes, ask);
            const key = `${impl} ${mode} ${bytes}`;
            measured.set(key, [...(measured.get(key) ?? []), row]);
            console.log(
              `round ${round}  ${impl.padEnd(5)} ${mode.padEnd(4)} ${String(bytes / 1024).padStart(5)} KB  p50 ${row.latency.p50Ms} ms  ` +
                `p99 ${row.latency.p99Ms} ms  ${row.throughput.asksPerSec} asks/s  ${row.throughput.payloadMBPerSec} MB/s`,
            );
          }
        }
      }
    }
    rows = [...measured.values()].map(combine);
  } finally {
    raw.disconnect();
    await nc.close();
    await system.shutdown();
    await server.stop();
  }
  const commit = gitCommit();
  const out = {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit,
    loadavgStart,
    loadavgEnd: os.loadavg(),
    note:
      'Loopback, nats-server 2.9 with max_payload 8 MB; actor in a child process, raw baseline in another; ' +
      `latency with 1 ask in flight, throughput with ${CONCURRENCY}; sink = payload one way, echo = both ways ` +
      `(MB/s counts both); medians of ${ROUNDS} interleaved rounds of ${BUDGET_MS} ms each. ` +
      'Shared 2-core machine with other work running (see loadavg): absolute numbers carry interference.',
    results: rows,
  };
  const file = path.join(path.dirname(self), 'results', 'nats.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

const invokedPath = process.argv[1] ? pathToFileURL(path.resolve(process.argv[1])).href : '';
if (invokedPath === import.meta.url) {
  const rawIndex = process.argv.indexOf('--raw-responder');
  if (rawIndex >= 0) await rawResponder(process.argv[rawIndex + 1]);
  else await main();
}
