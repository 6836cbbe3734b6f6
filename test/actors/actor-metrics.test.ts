// The feeds from what actors measure into the catalogue's metrics: step records add up to the same
// totals (random records against a plain sum), parameter traffic is counted both ways, handles are
// registered once per actor.
import { describe, expect, it } from 'vitest';
import { actorMetrics, recordTrainerStep } from '../../actors/actor-metrics.js';
import type { StepRecord } from '../../actors/protocols.js';
import { threadMetrics } from '../../runtime/metrics.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

async function value(name: string, labels: Record<string, string>): Promise<number> {
  const all = await threadMetrics().snapshot();
  const metric = all.find((m) => m.name === name.replace(/_(count|sum)$/, ''));
  if (!metric) throw new Error(`no metric ${name}`);
  const v = metric.values.find(
    (x) =>
      ((x as { metricName?: string }).metricName ?? metric.name) === name &&
      Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val),
  );
  if (!v) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`);
  return v.value;
}

function randomStep(next: () => number, epoch: number): StepRecord {
  const sample = next() * 0.05;
  return {
    epoch,
    step: 0,
    loss: next() < 0.05 ? NaN : next() * 3,
    seeds: 1 + Math.floor(next() * 500),
    edges: Math.floor(next() * 10_000),
    sample_s: sample,
    gather_s: sample * next(),
    queue_wait_s: next() * 0.02,
    compute_s: next() * 0.1,
    sync_s: next() < 0.5 ? 0 : next() * 0.03,
    wall_s: 0.001 + next() * 0.2,
    t: 0,
  };
}

describe('trainer step records as metrics', () => {
  it('adds every field to its counter, inline or not, and flags non-finite losses', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = rng(seed);
      const inline = seed % 2 === 0;
      const labels = { weft_job: `steps-${seed}`, role: 'trainer', index: String(seed % 3) };
      const m = actorMetrics('trainer', { job: labels.weft_job, index: seed % 3 });
      const steps = Array.from({ length: 1 + Math.floor(next() * 60) }, (_, i) =>
        randomStep(next, Math.floor(i / 10)),
      );
      for (const s of steps) recordTrainerStep(m, s, inline);
      const sum = (f: (s: StepRecord) => number) => steps.reduce((a, s) => a + f(s), 0);
      expect(await value('weft_trainer_steps_total', labels)).toBe(steps.length);
      expect(await value('weft_trainer_seeds_total', labels)).toBe(sum((s) => s.seeds));
      expect(await value('weft_trainer_step_duration_seconds_count', labels)).toBe(steps.length);
      expect(await value('weft_trainer_step_duration_seconds_sum', labels)).toBeCloseTo(
        sum((s) => s.wall_s),
        9,
      );
      expect(await value('weft_trainer_queue_wait_seconds_total', labels)).toBeCloseTo(
        sum((s) => s.queue_wait_s),
        9,
      );
      expect(await value('weft_trainer_compute_seconds_total', labels)).toBeCloseTo(
        sum((s) => s.compute_s),
        9,
      );
      expect(await value('weft_trainer_sync_seconds_total', labels)).toBeCloseTo(
        sum((s) => s.sync_s),
        9,
      );
      // Sampling only counts as the trainer's time when it sampled in its own thread.
      expect(await value('weft_trainer_sample_seconds_total', labels)).toBeCloseTo(
        inline ? sum((s) => s.sample_s - (s.gather_s ?? 0)) : 0,
        9,
      );
      expect(await value('weft_trainer_gather_seconds_total', labels)).toBeCloseTo(
        inline ? sum((s) => s.gather_s ?? 0) : 0,
        9,
      );
      expect(await value('weft_errors_total', { ...labels, kind: 'nonfinite' })).toBe(
        steps.filter((s) => !Number.isFinite(s.loss)).length,
      );
      const last = steps[steps.length - 1];
      const loss = await value('weft_trainer_loss', labels);
      if (Number.isFinite(last.loss)) expect(loss).toBe(last.loss);
      else expect(loss).toBeNaN();
      expect(await value('weft_trainer_epoch', labels)).toBe(last.epoch);
    }
  });

  it('registers an actor once: asking again keeps its histograms and gauges', async () => {
    const labels = { weft_job: 'once', role: 'trainer', index: '0' };
    const a = actorMetrics('trainer', { job: 'once', index: 0 });
    a.weft_trainer_step_duration_seconds.observe(0.5);
    a.weft_trainer_queue_depth.set(3);
    a.weft_actor_up.set(0);
    const b = actorMetrics('trainer', { job: 'once', index: 0 });
    expect(b).toBe(a);
    expect(await value('weft_trainer_step_duration_seconds_count', labels)).toBe(1);
    expect(await value('weft_trainer_queue_depth', labels)).toBe(3);
    expect(await value('weft_actor_up', labels)).toBe(0);
  });
});
