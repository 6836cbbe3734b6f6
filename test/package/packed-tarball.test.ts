// The package as users get it: `npm pack` ships the build and nothing of test/ or bench/, a fresh project
// installs the tarball offline, `import('weft')` trains a graph, and the built CLI runs without tsx,
// a writable temporary directory or a home, writing nothing outside the folders it is given.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let tmp: string;
let project: string;
let packed: { filename: string; integrity: string; files: { path: string }[] };

/** Runs npm quietly; throws with its output when it fails. */
function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, WEFT_SOURCE: '' },
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A lockfile for a project that depends on the tarball only: the tarball's entry, and the repository's
 * locked production dependencies at the same places. `npm ci --offline` then takes every package from
 * the npm cache, which the repository's own `npm ci` has just filled.
 */
function consumerLock(tarball: string, integrity: string): object {
  const repoLock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const packages: Record<string, Record<string, unknown>> = {
    '': { name: 'weft-consumer', dependencies: { [pkg.name]: `file:${tarball}` } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [where, entry] of Object.entries(repoLock.packages)) {
    if (where === '' || entry.dev === true || entry.link === true) continue;
    packages[where] = entry;
  }
  return { name: 'weft-consumer', lockfileVersion: 3, requires: true, packages };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p).map((f) => path.join(name, f)));
    else out.push(name);
  }
  return out;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-pack-'));
  // `npm pack` runs `prepare`, so the tarball holds a build of the sources under test.
  const out = npm(['pack', '--json', '--pack-destination', tmp], root);
  packed = (JSON.parse(out.slice(out.indexOf('\n[') + 1)) as (typeof packed)[])[0];
  project = path.join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'weft-consumer',
      private: true,
      type: 'module',
      dependencies: { weft: `file:../${packed.filename}` },
    }),
  );
  writeFileSync(
    path.join(project, 'package-lock.json'),
    JSON.stringify(consumerLock(`../${packed.filename}`, packed.integrity)),
  );
  npm(['ci', '--offline', '--no-audit', '--no-fund'], project);
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the build, the command and the deploy configs, and nothing of the tests or benchmarks', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/runtime/pool-bootstrap.mjs');
    expect(files).toContain('bin/weft.js');
    expect(files).toContain('deploy/prometheus/rules.yml');
    expect(files).toContain('native/binding.gyp');
    expect(files).toContain('scripts/build-native.mjs');
    for (const f of files) {
      // native/: the kernels' C++ sources, built (or skipped) by scripts/build-native.mjs at install.
      expect(f, f).toMatch(
        /^(dist|bin|deploy)\/|^native\/[\w-]+\.(cc|h|gyp)$|^(package\.json|README\.md|scripts\/build-native\.mjs)$/,
      );
      if (f.endsWith('.ts')) expect(f, 'TypeScript sources stay out').toMatch(/\.d\.ts$/);
      expect(f, f).not.toMatch(/(^|\/)(test|\.ci|node_modules|examples)\//);
    }
  });
});

describe('the installed package', () => {
  it("trains a synthetic graph through import('weft') and returns its results", () => {
    writeFileSync(
      path.join(project, 'train.mjs'),
      `import { applyOverrides, defaultJobSpec, readManifest, synthPowerlaw, train } from 'weft';
const graph = 'data/g';
await synthPowerlaw({ nodes: 1500, edges: 15000, featureDim: 16, classes: 3, seed: 7 }, graph);
const spec = applyOverrides(defaultJobSpec(), {
  name: 'tiny', graph, out: 'runs/tiny', task: 'node',
  'model.hidden': 16, 'sampling.fanouts': [5, 5], 'sampling.batchSize': 128, 'train.epochs': 1,
});
const r = await train(spec);
console.log(JSON.stringify({ nodes: readManifest(graph).numNodes, r }));
`,
    );
    const stdout = execFileSync(process.execPath, ['train.mjs'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, WEFT_SOURCE: '' },
    });
    const { nodes, r } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(nodes).toBe(1500);
    expect(r.task).toBe('node');
    expect(r.epochs).toBe(1);
    expect(r.run_dir).toBe(path.join(project, 'runs/tiny'));
    // Three homophilous classes: a trained epoch beats chance (1/3) on held-out nodes.
    expect(r.test.accuracy).toBeGreaterThan(0.45);
    expect(r.test.accuracy).toBeLessThanOrEqual(1);
    expect(r.throughput.steps).toBeGreaterThan(0);
    expect(existsSync(path.join(project, 'runs/tiny/results.json'))).toBe(true);
  });

  it('runs the built CLI with no writable temporary directory or home, writing only under --out', () => {
    // A regular file standing where TMPDIR and HOME point: any mkdir below it fails (ENOTDIR), even
    // for root, the way a read-only root filesystem refuses tsx's cache directory.
    const blocked = path.join(tmp, 'not-a-dir');
    writeFileSync(blocked, '');
    const env = {
      ...process.env,
      WEFT_SOURCE: '',
      TMPDIR: path.join(blocked, 'tmp'),
      HOME: path.join(blocked, 'home'),
    };
    const bin = path.join(project, 'node_modules/.bin/weft');
    const cwd = path.join(tmp, 'cli');
    mkdirSync(cwd);
    const run = (args: string[]) =>
      spawnSync(bin, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });

    const help = run(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: weft <command>/);

    const built = run([
      ...['graph', 'synth', '--kind', 'powerlaw', '--nodes', '800', '--edges', '8000'],
      ...['--feature-dim', '8', '--classes', '2', '--seed', '3', '--out', 'g'],
    ]);
    expect(built.stderr + built.stdout).toMatch(/wrote g/);
    expect(built.status).toBe(0);
    const trained = run([
      ...['train', '--graph', 'g', '--task', 'node', '--epochs', '1', '--hidden', '8'],
      ...['--fanouts', '4,4', '--batch-size', '128', '--out', 'run', '--json'],
    ]);
    expect(trained.stderr).not.toMatch(/tsx|EACCES|ENOTDIR/);
    expect(trained.status).toBe(0);
    const results = JSON.parse(readFileSync(path.join(cwd, 'run/results.json'), 'utf8'));
    expect(results.epochs).toBe(1);
    expect(results.test.accuracy).toBeGreaterThan(0);
    // Nothing but the graph and the run directory appeared.
    const top = readdirSync(cwd).sort();
    expect(top).toEqual(['g', 'run']);
    expect(filesUnder(path.join(cwd, 'run')).sort()).toEqual(
      expect.arrayContaining(['metrics.jsonl', 'results.json']),
    );
  });
});
