// Writes synthetic run directories (results.json, metrics.jsonl) shaped like a trainer's output,
// and says what a report of them must show, for the report tests and the report benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultJobSpec } from '../../../actors/job-spec.js';

export interface FixtureOptions {
  trainers?: number;
  stepsPerTrainer?: number;
  epochs?: number;
  seed?: number;
  /** Steps (per trainer 0) whose loss is written as null, i.e. was NaN. */
  nanSteps?: number[];
  withResults?: boolean;
  withEvents?: boolean;
}

export interface FixtureSummary {
  runDir: string;
  trainers: string[];
  stepsPerTrainer: number;
  /** Finite losses per trainer, in trainer order. */
  finiteLosses: number[];
  evals: number;
  evalKeys: string[];
  events: { kind: string; actor?: string }[];
  t0: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a run into `runDir` and returns what its report must contain. */
export function writeFixtureRun(runDir: string, options: FixtureOptions = {}): FixtureSummary {
  const trainerCount = options.trainers ?? 2;
  const steps = options.stepsPerTrainer ?? 120;
  const epochs = options.epochs ?? 4;
  const next = rng(options.seed ?? 7);
  const nan = new Set(options.nanSteps ?? []);
  const t0 = 1_700_000_000;
  const stepSeconds = 0.5;
  const lines: string[] = [];
  const trainers = Array.from({ length: trainerCount }, (_, i) => `trainer/${i}`);
  const finiteLosses = trainers.map(() => 0);
  const stepsPerEpoch = Math.ceil(steps / epochs);
  const events: { kind: string; actor?: string }[] = [];
  const evalKeys = ['accuracy', 'macro_f1'];
  let evals = 0;
  for (let s = 0; s < steps; s++) {
    const epoch = Math.floor(s / stepsPerEpoch);
    for (let a = 0; a < trainerCount; a++) {
      const t = t0 + s * stepSeconds + a * 0.01;
      const lossValue = 2 * Math.exp(-s / 40) + 0.3 + 0.05 * next();
      const isNan = a === 0 && nan.has(s);
      if (!isNan) finiteLosses[a]++;
      const sample = 0.004 + 0.002 * next();
      const wait = (a === 1 && s > steps / 2 ? 0.12 : 0.01) * next();
      const compute = 0.25 + 0.05 * next();
      const sync = 0.04 + 0.02 * next();
      lines.push(
        JSON.stringify({
          type: 'step',
          t,
          epoch,
          step: s,
          loss: isNan ? null : lossValue,
          seeds_per_s: 1024 / (sample + wait + compute + sync),
          lr: 0.01 * (epoch < epochs - 1 ? 1 : 0.1),
          time: { sample_s: sample, queue_wait_s: wait, compute_s: compute, sync_s: sync },
          actor: trainers[a],
        }),
      );
    }
    const endOfEpoch = (s + 1) % stepsPerEpoch === 0 || s === steps - 1;
    if (endOfEpoch) {
      const acc = 0.5 + 0.3 * (1 - Math.exp(-(epoch + 1) / 2));
      const rec: Record<string, unknown> = {
        type: 'eval',
        t: t0 + (s + 1) * stepSeconds,
        epoch,
        step: s,
        val: { accuracy: acc, macro_f1: acc - 0.05 },
      };
      if (epoch === epochs - 1) rec.test = { accuracy: acc - 0.01, macro_f1: acc - 0.06 };
      lines.push(JSON.stringify(rec));
      evals++;
      if (options.withEvents ?? true) {
        lines.push(
          JSON.stringify({
            type: 'event',
            t: t0 + (s + 1) * stepSeconds + 0.1,
            kind: 'checkpoint',
            detail: `epoch ${epoch}`,
          }),
        );
        events.push({ kind: 'checkpoint' });
      }
    }
    if ((options.withEvents ?? true) && trainerCount > 1 && s === Math.floor(steps / 2)) {
      const t = t0 + s * stepSeconds + 0.2;
      lines.push(
        JSON.stringify({
          type: 'event',
          t,
          kind: 'failure',
          actor: 'trainer/1',
          detail: 'worker exited with code 137',
        }),
      );
      lines.push(
        JSON.stringify({
          type: 'event',
          t: t + 0.1,
          kind: 'restart',
          actor: 'trainer/1',
          detail: 'attempt 1',
        }),
      );
      events.push({ kind: 'failure', actor: 'trainer/1' }, { kind: 'restart', actor: 'trainer/1' });
    }
  }
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  if (options.withResults ?? true) {
    const config = defaultJobSpec() as unknown as Record<string, Record<string, unknown>>;
    config.name = 'fixture' as unknown as Record<string, unknown>;
    config.train.epochs = epochs;
    config.model.hidden = 64;
    writeFileSync(
      path.join(runDir, 'results.json'),
      JSON.stringify(
        {
          task: 'node',
          backend: 'wasm',
          config,
          val: { accuracy: 0.79, macro_f1: 0.77 },
          test: { accuracy: 0.8, macro_f1: 0.78 },
          throughput: { seeds_per_s: 3200, steps_per_s: 3.1 },
          epochs,
          duration_s: steps * stepSeconds,
        },
        null,
        2,
      ),
    );
  }
  return { runDir, trainers, stepsPerTrainer: steps, finiteLosses, evals, evalKeys, events, t0 };
}
