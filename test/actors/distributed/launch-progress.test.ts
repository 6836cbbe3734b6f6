// `weft launch` as a person runs it: stderr shows the coordinator's /status and /metrics URLs and the
// targets file before the first epoch ends, then one line per epoch (loss, seeds/s, validation) as it
// happens; every actor's log has its start, ready and epoch lines at the default log level.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { targetsFileName } from '../../../actors/distributed/launcher.js';
import { run } from '../../../cli/commands/launch.js';
import { launchedSpec, synthGraphFixture } from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-launch-progress-', { seed: 17 });

/** The JSON lines of an actor's log in RUN_DIR/logs. */
const logOf = (out: string, actor: string) =>
  readFileSync(join(out, 'logs', `${actor}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string; epoch?: number });

describe('weft launch progress', () => {
  it('prints the URLs, the targets file and every epoch as it happens; actors log at info', async () => {
    const out = join(tmp, 'run');
    const spec = launchedSpec(graphDir, out, {
      name: 'progress',
      'train.epochs': 2,
      'train.maxStepsPerEpoch': 4,
      'cluster.trainers': 1,
      'cluster.samplers': 1,
      'cluster.parameterServers': 1,
      'runtime.metricsPort': 1,
    });
    const specFile = join(tmp, 'job.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const printed: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await run([specFile, '--targets-dir', join(tmp, 'targets')]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const lines = printed.join('').split('\n');
    const statusAt = lines.findIndex((l) =>
      /^status http:\/\/127\.0\.0\.1:\d+\/status, metrics http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(
        l,
      ),
    );
    expect(statusAt, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(lines).toContain(
      `Prometheus targets in ${join(tmp, 'targets', targetsFileName('progress', out))}`,
    );
    const epochs = lines.filter((l) => l.startsWith('epoch '));
    expect(epochs, lines.join('\n')).toHaveLength(2);
    for (const [i, l] of epochs.entries())
      expect(l).toMatch(
        new RegExp(
          `^epoch ${i + 1}/2: loss \\d+\\.\\d{4}, [\\d,]+ seeds/s, val accuracy \\d\\.\\d{4}.* \\(\\d+\\.\\d s\\)$`,
        ),
      );
    // As it happens: the URLs come before the first epoch's line.
    expect(statusAt).toBeLessThan(lines.indexOf(epochs[0]));
    // The printed losses are the job's own: each epoch's mean step loss in metrics.jsonl.
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; epoch: number; loss: number })
      .filter((r) => r.type === 'step');
    const epochLoss = [0, 1].map((e) => {
      const of = steps.filter((r) => r.epoch === e);
      return (of.reduce((a, r) => a + r.loss, 0) / of.length).toFixed(4);
    });
    expect(epochs.map((l) => /loss (\S+),/.exec(l)![1])).toEqual(epochLoss);

    // Per-actor logs at the default level: start, metrics, ready, and epochs as they pass.
    for (const actor of ['ps-0', 'sampler-0', 'trainer-0']) {
      const msgs = logOf(out, actor).map((l) => l.msg);
      for (const m of ['starting', 'serving metrics', 'ready']) expect(msgs, actor).toContain(m);
    }
    const trained = logOf(out, 'trainer-0').filter((l) => l.msg === 'epoch trained');
    expect(trained.map((l) => l.epoch)).toEqual([0, 1]);
    const coordinator = logOf(out, 'coordinator-0');
    expect(coordinator.filter((l) => l.msg === 'epoch').map((l) => l.epoch)).toEqual([0, 1]);
    expect(coordinator.map((l) => l.msg)).toContain('finished');
    expect(coordinator.every((l) => l.level === 'info' || l.level === 'warn')).toBe(true);
  }, 120_000);

  it('says why when the targets folder cannot be written, and trains on', async () => {
    const out = join(tmp, 'run-blocked');
    const spec = launchedSpec(graphDir, out, {
      name: 'progress-blocked',
      'train.epochs': 1,
      'train.maxStepsPerEpoch': 2,
      'cluster.trainers': 1,
      'cluster.samplers': 1,
      'cluster.parameterServers': 1,
      'runtime.metricsPort': 1,
    });
    const specFile = join(tmp, 'job-blocked.json');
    writeFileSync(specFile, JSON.stringify(spec));
    // A file where the folder should be, as a read-only installation would refuse it.
    const blocked = join(tmp, 'not-a-folder');
    writeFileSync(blocked, '');
    const printed: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await run([specFile, '--targets-dir', join(blocked, 'targets')]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const lines = printed.join('').split('\n');
    const failed = lines.find((l) => l.startsWith('no Prometheus targets: cannot write'));
    expect(failed, lines.join('\n')).toContain(
      join(blocked, 'targets', targetsFileName('progress-blocked', out)),
    );
    expect(failed).toContain('WEFT_TARGETS_DIR');
    expect(lines.filter((l) => l.startsWith('epoch 1/1: loss '))).toHaveLength(1);
  }, 120_000);
});
