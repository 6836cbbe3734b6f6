// Queue benchmark: records/s and GB/s between two threads for 4 KiB .. 4 MiB records, the shared-memory
// queue side by side with postMessage (structured clone) and postMessage with an ArrayBuffer transferred.
//
// Every mode pays the producer's copy of the payload (into the ring, into the clone, into a fresh buffer
// to transfer); the consumer reads each record in place (a strided sample of 64 words) and lets it go.
// This file is both the benchmark (main thread, the consumer) and its producer worker.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { ShmQueue, type ShmQueueHandle } from '../runtime/shm-queue.js';
import { spawnWorker } from '../runtime/worker-spawn.js';
import { gitCommit } from './git-commit.js';

type Mode = 'shm' | 'clone' | 'transfer';

interface ProducerJob {
  mode: Mode;
  recordBytes: number;
  /** Untimed records first (ring pages touched, code optimised), then `records` timed ones. */
  warmRecords: number;
  records: number;
  handle?: ShmQueueHandle;
  /** postMessage modes: at most this many messages in flight (the consumer returns credits). */
  windowRecords: number;
}

const SAMPLE_WORDS = 64;

/** Reads SAMPLE_WORDS words spread over the record: enough to touch it, not to stream it all. */
function sampleSum(words: Int32Array, firstWord: number, wordCount: number): number {
  const stride = Math.max(1, Math.floor(wordCount / SAMPLE_WORDS));
  let s = 0;
  for (let k = 0, w = firstWord; k < SAMPLE_WORDS && k < wordCount; k++, w += stride)
    s = (s + words[w]) | 0;
  return s;
}

function makeSource(recordBytes: number): Uint8Array {
  const src = new Uint8Array(recordBytes);
  for (let i = 0; i < recordBytes; i++) src[i] = (i * 131 + 7) & 0xff;
  return src;
}

// ---------------------------------------------------------------------------------------------------
// Producer (worker thread)

async function runProducer(job: ProducerJob): Promise<void> {
  const port = parentPort!;
  const src = makeSource(job.recordBytes);
  // Messages from the consumer: 'go' starts a phase; {credit} returns postMessage window slots.
  let credits = job.windowRecords;
  let goes = 0;
  let wake: (() => void) | null = null;
  port.on('message', (m: 'go' | { credit: number }) => {
    if (m === 'go') goes++;
    else credits += m.credit;
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  });
  const until = async (ready: () => boolean) => {
    while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
  };
  const queue = job.mode === 'shm' ? ShmQueue.attach(job.handle!) : null;
  const producer = queue?.producer();
  const u8 = queue ? new Uint8Array(queue.buffer) : null;
  // Phase 1 sends the untimed warm-up records, phase 2 the timed ones; each waits for its 'go'.
  const phases = [job.warmRecords, job.records];
  for (let phase = 0; phase < 2; phase++) {
    await until(() => goes > phase);
    for (let k = 0; k < phases[phase]; k++) {
      if (producer !== undefined) {
        const r = producer.reserve(job.recordBytes);
        u8!.set(src, r.offset);
        r.commit();
        continue;
      }
      if (credits === 0) await until(() => credits > 0);
      credits--;
      if (job.mode === 'clone') {
        port.postMessage(src);
      } else {
        const ab = new ArrayBuffer(job.recordBytes);
        new Uint8Array(ab).set(src);
        port.postMessage(ab, [ab]);
      }
    }
  }
  port.removeAllListeners('message');
}

// ---------------------------------------------------------------------------------------------------
// Consumer (main thread)

interface RunResult {
  mode: Mode;
  recordBytes: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  gigabytesPerSecond: number;
  checksum: number;
}

function waitReady(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once('online', () => resolve());
    w.once('error', reject);
  });
}

async function runOne(
  mode: Mode,
  recordBytes: number,
  records: number,
  ringBytes: number,
): Promise<RunResult> {
  const windowRecords = Math.max(2, Math.floor(ringBytes / recordBytes));
  // Two laps of the ring (at least 64 records) before the clock starts, in every mode.
  const warm = Math.max(64, 2 * windowRecords);
  const queue =
    mode === 'shm' ? ShmQueue.create({ capacityBytes: ringBytes, name: 'bench' }) : null;
  const job: ProducerJob = {
    mode,
    recordBytes,
    warmRecords: warm,
    records,
    windowRecords,
    handle: queue?.handle,
  };
  const worker = spawnWorker(new URL(import.meta.url), { workerData: job });
  await waitReady(worker);
  // Give the worker's module (tsx, imports) time to load before the clock starts.
  await new Promise((r) => setTimeout(r, 300));
  let checksum = 0;
  let seconds: number;
  if (queue !== null) {
    const consumer = queue.consumer();
    const words = new Int32Array(queue.buffer);
    worker.postMessage('go');
    for (let k = 0; k < warm; k++) consumer.pop()!.release();
    const t0 = performance.now();
    worker.postMessage('go');
    for (let k = 0; k < records; k++) {
      const r = consumer.pop()!;
      checksum = (checksum + sampleSum(words, r.offset >> 2, r.byteLength >> 2)) | 0;
      r.release();
    }
    seconds = (performance.now() - t0) / 1000;
    consumer.dispose();
  } else {
    let received = 0;
    let t0 = 0;
    let pendingCredit = 0;
    const creditBatch = Math.max(1, windowRecords >> 2);
    const finished = new Promise<number>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: unknown) => {
        if (m instanceof Uint8Array || m instanceof ArrayBuffer) {
          const words =
            m instanceof ArrayBuffer
              ? new Int32Array(m)
              : new Int32Array(m.buffer, m.byteOffset, m.byteLength >> 2);
          checksum = (checksum + sampleSum(words, 0, words.length)) | 0;
          received++;
          if (++pendingCredit >= creditBatch) {
            worker.postMessage({ credit: pendingCredit });
            pendingCredit = 0;
          }
          if (received === warm) {
            // Warm-up done and every credit returned: start the clock and the timed phase.
            worker.postMessage({ credit: pendingCredit });
            pendingCredit = 0;
            t0 = performance.now();
            worker.postMessage('go');
          }
          if (received === warm + records) resolve(performance.now());
        }
      });
    });
    worker.postMessage('go');
    const t1 = await finished;
    seconds = (t1 - t0) / 1000;
  }
  await worker.terminate();
  const bytes = recordBytes * records;
  return {
    mode,
    recordBytes,
    records,
    seconds,
    recordsPerSecond: records / seconds,
    gigabytesPerSecond: bytes / seconds / 1e9,
    checksum,
  };
}

/**
 * One thread copying the same payloads into a SharedArrayBuffer (best of 5 passes, pages touched first):
 * the ceiling for the producer's copy.
 */
function copyCeiling(recordBytes: number, totalBytes: number): number {
  const src = makeSource(recordBytes);
  const dst = new Uint8Array(new SharedArrayBuffer(Math.max(recordBytes, 64 << 20)));
  dst.fill(1);
  const slots = Math.max(1, Math.floor(dst.length / recordBytes));
  const n = Math.max(1, Math.floor(totalBytes / recordBytes));
  let best = 0;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = performance.now();
    for (let k = 0; k < n; k++) dst.set(src, (k % slots) * recordBytes);
    best = Math.max(best, (n * recordBytes) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      sizes: { type: 'string', default: '4096,65536,1048576,4194304' },
      'mib-per-run': { type: 'string', default: '512' },
      'ring-mib': { type: 'string', default: '32' },
      reps: { type: 'string', default: '3' },
      out: { type: 'string', default: 'bench/results/queue.json' },
    },
  });
  const sizes = args.sizes.split(',').map(Number);
  const bytesPerRun = Number(args['mib-per-run']) * 1024 * 1024;
  const ringBytes = Number(args['ring-mib']) * 1024 * 1024;
  const reps = Number(args.reps);
  const loadavgAtStart = os.loadavg();
  const results: {
    recordBytes: number;
    records: number;
    /** Best of `reps` runs per mode (the machine is shared: the best run is the least disturbed one). */
    best: Record<Mode, { recordsPerSecond: number; gigabytesPerSecond: number }>;
    /** Median of `reps` runs per mode. */
    median: Record<Mode, { recordsPerSecond: number; gigabytesPerSecond: number }>;
    runs: RunResult[];
    copyCeilingGBps: number;
    shmVsClone: number;
    shmVsTransfer: number;
  }[] = [];
  for (const recordBytes of sizes) {
    // Small records: fewer bytes per run, since clone/transfer cost per message dominates.
    const records = Math.max(
      64,
      Math.floor((recordBytes < 65536 ? bytesPerRun / 4 : bytesPerRun) / recordBytes),
    );
    const runs: RunResult[] = [];
    // Modes interleaved per repetition, so a burst of other load hits all of them alike.
    for (let rep = 0; rep < reps; rep++) {
      for (const mode of ['shm', 'clone', 'transfer'] as const) {
        const r = await runOne(mode, recordBytes, records, ringBytes);
        runs.push(r);
        console.log(
          `${String(recordBytes).padStart(8)} B  ${mode.padEnd(8)} ${r.recordsPerSecond.toFixed(0).padStart(9)} rec/s ` +
            `${r.gigabytesPerSecond.toFixed(2).padStart(7)} GB/s  (${records} records, ${r.seconds.toFixed(3)} s)`,
        );
      }
    }
    const pick = (m: Mode, which: 'best' | 'median') => {
      const v = runs
        .filter((r) => r.mode === m)
        .sort((a, b) => b.gigabytesPerSecond - a.gigabytesPerSecond);
      const r = which === 'best' ? v[0] : v[Math.floor(v.length / 2)];
      return { recordsPerSecond: r.recordsPerSecond, gigabytesPerSecond: r.gigabytesPerSecond };
    };
    const summary = (which: 'best' | 'median') => ({
      shm: pick('shm', which),
      clone: pick('clone', which),
      transfer: pick('transfer', which),
    });
    const best = summary('best');
    const entry = {
      recordBytes,
      records,
      best,
      median: summary('median'),
      runs,
      copyCeilingGBps: copyCeiling(recordBytes, Math.min(bytesPerRun, 256 << 20)),
      shmVsClone: best.shm.gigabytesPerSecond / best.clone.gigabytesPerSecond,
      shmVsTransfer: best.shm.gigabytesPerSecond / best.transfer.gigabytesPerSecond,
    };
    console.log(
      `${String(recordBytes).padStart(8)} B  best: shm ${best.shm.gigabytesPerSecond.toFixed(2)} GB/s, ` +
        `shm/clone ${entry.shmVsClone.toFixed(1)}x  shm/transfer ` +
        `${entry.shmVsTransfer.toFixed(1)}x  single-thread copy into SAB ${entry.copyCeilingGBps.toFixed(2)} GB/s`,
    );
    results.push(entry);
  }
  const commit = gitCommit();
  const out = {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit,
    loadavgAtStart,
    settings: { ringBytes, bytesPerRun, reps, sampleWordsPerRecord: SAMPLE_WORDS },
    results,
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${args.out}`);
}

if (isMainThread) await main();
else await runProducer(workerData as ProducerJob);
