// `weft launch` SIGKILLed mid-job leaves nothing behind: its nats-server, every actor process, the
// nats-server's temporary folder and the Prometheus targets file are gone within seconds (its reaper).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LaunchRecord } from '../../../actors/distributed/launcher.js';
import { execArgvFor, moduleUrl } from '../../../runtime/module-url.js';
import {
  eventually,
  launchedSpec,
  processAlive,
  synthGraphFixture,
} from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-launcher-death-', { seed: 9 });
const CLI = moduleUrl('../../../cli/main.js', import.meta.url);

function readRecord(file: string): LaunchRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LaunchRecord;
  } catch {
    return undefined;
  }
}

describe('the launcher killed', () => {
  it('takes its nats-server, actors, temporary folder and targets file with it', async () => {
    const out = join(tmp, 'run');
    const spec = launchedSpec(graphDir, out, {
      name: 'launcher-death',
      'train.epochs': 50,
      'cluster.trainers': 2,
      'cluster.parameterServers': 1,
      'cluster.samplers': 1,
      'runtime.metricsPort': 1, // on: each process binds a free port
    });
    const specFile = join(tmp, 'job.json');
    writeFileSync(specFile, JSON.stringify(spec));
    // The launcher's working directory holds deploy/prometheus/targets/, where it writes the targets.
    const launcher = spawn(
      process.execPath,
      [...execArgvFor(CLI), fileURLToPath(CLI), 'launch', specFile, '--json'],
      {
        cwd: tmp,
        stdio: 'ignore',
        env: { ...process.env, WEFT_TARGETS_DIR: join(tmp, 'deploy', 'prometheus', 'targets') },
      },
    );
    const exited = new Promise((r) => launcher.once('exit', r));
    try {
      const recordFile = join(out, 'launch', 'processes.json');
      // Running: every actor answered the coordinator and the first epoch began.
      const record = await eventually(
        'the job to train',
        () => {
          const metrics = join(out, 'metrics.jsonl');
          if (!existsSync(metrics) || !readFileSync(metrics, 'utf8').includes('epoch-start'))
            return undefined;
          return readRecord(recordFile);
        },
        120_000,
      );
      expect(record.launcher).toBe(launcher.pid);
      const pids = [record.nats!.pid, record.reaper, ...record.actors.map((a) => a.pid)];
      expect(pids).toHaveLength(7);
      for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(true);
      const paths = [record.nats!.configDir, record.targetsFile!];
      expect(dirname(record.targetsFile!)).toBe(join(tmp, 'deploy', 'prometheus', 'targets'));
      expect(basename(record.targetsFile!)).toMatch(/^launcher-death-[0-9a-f]{8}\.json$/);
      for (const p of paths) expect(existsSync(p), p).toBe(true);

      launcher.kill('SIGKILL');
      await exited;
      await eventually(
        'every process and file of the launch to go',
        () => (pids.some(processAlive) || paths.some((p) => existsSync(p)) ? undefined : true),
        30_000,
      );
    } finally {
      if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
    }
  }, 200_000);
});
