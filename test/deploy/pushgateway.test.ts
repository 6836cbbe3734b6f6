// A short job pushes its metrics to a real Prometheus Pushgateway (Debian's prometheus-pushgateway):
// after `weft train` ends, the gateway holds the trainer's step counter under the job's group.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { freePort } from '../../runtime/nats-server.js';
import { PushgatewayError, pushMetrics } from '../../runtime/pushgateway.js';

const binary = '/usr/bin/prometheus-pushgateway';
const have = existsSync(binary);
if (!have)
  console.warn(
    `${binary} not found: the Pushgateway tests are skipped (apt-get install prometheus-pushgateway)`,
  );

describe.skipIf(!have)('Pushgateway', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'weft-pushgw-'));
  let gateway: ChildProcess;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('pushgateway did not become ready');
  });
  afterAll(() => {
    gateway?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  const gatewayText = () => fetch(`${url}/metrics`).then((r) => r.text());

  it('replaces a job group with each push', async () => {
    await pushMetrics(url, 'unit', '# TYPE weft_test_value gauge\nweft_test_value 3\n');
    expect(await gatewayText()).toMatch(/weft_test_value\{[^}]*job="unit"[^}]*\} 3/);
    await pushMetrics(url, 'unit', '# TYPE weft_test_value gauge\nweft_test_value 5\n');
    expect(await gatewayText()).toMatch(/weft_test_value\{[^}]*job="unit"[^}]*\} 5/);
  });

  it('names the gateway in a failed push', async () => {
    const err = await pushMetrics('http://127.0.0.1:1', 'unit', 'x 1\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushgatewayError);
    expect((err as PushgatewayError).url).toContain('127.0.0.1:1/metrics/job/unit');
  });

  it("holds a finished training job's trainer step counter", async () => {
    const graph = join(tmp, 'g');
    await synthPowerlaw({ nodes: 1500, edges: 12000, featureDim: 8, classes: 3, seed: 2 }, graph);
    const spec = applyOverrides(defaultJobSpec(), {
      name: 'pushed-job',
      graph,
      out: join(tmp, 'run'),
      'model.hidden': 16,
      'sampling.fanouts': '4,4',
      'sampling.batchSize': 200,
      'train.epochs': 2,
      'runtime.pushgateway': url,
    });
    await runTraining(spec);
    const g = await openGraph(graph);
    const steps = 2 * Math.ceil(g.split!.filter((v) => v === 1).length / 200);
    const text = await gatewayText();
    const m = /weft_trainer_steps_total\{[^}]*job="pushed-job"[^}]*\} (\d+)/.exec(text);
    expect(m, text.slice(0, 2000)).not.toBeNull();
    expect(Number(m![1])).toBe(steps);
  });
});
