// The image as Kubernetes runs it, without Docker: the Dockerfile's steps replayed into folders, then
// its entry point run as uid 1000 with a read-only root filesystem and only data/ and runs/ writable
// (the pod's volumes). The built CLI must build a graph, train, and render manifests there.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImageTree,
  canSandbox,
  missingBuildTools,
  runImage,
  type ImageTree,
} from '../helpers/image-tree.js';

// The build stage compiles the native kernels with this machine's toolchain.
const sandbox = canSandbox() && missingBuildTools().length === 0;
let tmp = '';
let tree: ImageTree;
const VOLUMES = ['/app/data', '/app/runs'];

/** Files under `dir` (relative), not following links. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p).map((f) => path.join(name, f)));
    else out.push(name);
  }
  return out;
}

beforeAll(() => {
  if (!sandbox) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-image-'));
  chmodSync(tmp, 0o755); // the image's user must reach the tree
  tree = buildImageTree(tmp);
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!sandbox)(
  'the image file tree (needs root, unshare, setpriv, g++, make and python3)',
  () => {
    it('holds the build and production dependencies only, and no sources', () => {
      const app = path.join(tree.root, tree.workdir);
      expect(readdirSync(app).sort()).toEqual([
        'bin',
        'data',
        'deploy',
        'dist',
        'native',
        'node_modules',
        'package-lock.json',
        'package.json',
        'runs',
      ]);
      for (const prod of [
        'yaml',
        '@nats-io/transport-node',
        '@tensorflow/tfjs-core',
        'prom-client',
      ]) {
        expect(existsSync(path.join(app, 'node_modules', prod)), prod).toBe(true);
      }
      for (const dev of ['typescript', 'vitest', 'eslint', 'prettier', 'kubernetes-models']) {
        expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
      }
      const own = ['bin', 'deploy', 'dist'].flatMap((d) =>
        filesUnder(path.join(app, d)).map((f) => `${d}/${f}`),
      );
      expect(own).toContain('dist/cli/main.js');
      expect(own).toContain('deploy/prometheus/rules.yml');
      expect(own).toContain('deploy/grafana/weft.json');
      expect(own.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
      expect(statSync(path.join(app, 'runs')).uid).toBe(1000);
      // The native kernels: the built addon only, not their sources.
      expect(filesUnder(path.join(app, 'native'))).toEqual(['build/Release/weft_native.node']);
    });

    it('builds a graph, trains and renders manifests as uid 1000 on a read-only root', () => {
      const help = runImage(tree, ['--help'], VOLUMES);
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(/^usage: weft <command>/);
      expect(help.status).toBe(0);

      const built = runImage(
        tree,
        [
          ...['graph', 'synth', '--kind', 'powerlaw', '--nodes', '800', '--edges', '8000'],
          ...['--feature-dim', '8', '--classes', '2', '--seed', '3', '--out', 'data/g'],
        ],
        VOLUMES,
      );
      expect(built.stderr + built.stdout).toMatch(/wrote data\/g/);
      expect(built.status).toBe(0);

      const trained = runImage(
        tree,
        [
          ...['train', '--graph', 'data/g', '--task', 'node', '--epochs', '1', '--hidden', '8'],
          ...['--fanouts', '4,4', '--batch-size', '128', '--out', 'runs/tiny', '--json'],
        ],
        VOLUMES,
      );
      expect(trained.stderr).not.toMatch(/EROFS|EACCES|read-only/i);
      expect(trained.status).toBe(0);
      const runDir = path.join(tree.root, 'app/runs/tiny');
      expect(readdirSync(runDir)).toEqual(
        expect.arrayContaining(['results.json', 'metrics.jsonl']),
      );
      expect(statSync(path.join(runDir, 'results.json')).uid).toBe(1000);
      // The image's trainer runs the native kernels it was built with.
      const results = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'));
      expect(results.backend).toBe('wasm+native');

      // The renderer reads the alert rules and the dashboard from the image's deploy/.
      writeFileSync(path.join(tree.root, 'app/runs/job.yaml'), 'name: tiny\ngraph: data/g\n');
      const rendered = runImage(tree, ['deploy', 'render', 'runs/job.yaml'], VOLUMES);
      expect(rendered.status).toBe(0);
      const kinds = parseAllDocuments(rendered.stdout).map(
        (d) => (d.toJS() as { kind: string }).kind,
      );
      expect(kinds).toEqual([
        'ConfigMap',
        'Service',
        'JobSet',
        'ConfigMap',
        'PodMonitor',
        'PrometheusRule',
      ]);
    });

    it('cannot write outside its volumes', () => {
      const r = runImage(
        tree,
        [
          ...['graph', 'synth', '--kind', 'powerlaw', '--nodes', '100', '--edges', '400'],
          ...['--feature-dim', '4', '--classes', '2', '--out', 'g'],
        ],
        VOLUMES,
      );
      expect(r.status).not.toBe(0);
      // Node's recursive mkdir reports a read-only parent as ENOENT or EROFS.
      expect(r.stderr + r.stdout).toMatch(/EROFS|ENOENT|read-only file system/i);
      expect(readdirSync(path.join(tree.root, 'app')).filter((f) => f.startsWith('g'))).toEqual([]);
    });
  },
);
