// `weft train` of this commit against an older one, side by side on this machine: the two checkouts
// take turns running bench/train.ts (fused hand-off) on the same 1M-node / 20M-edge graph, so load
// swings hit both alike; each run's CPU seconds and peak RSS come from /usr/bin/time. Each side runs
// with the node flags its own `weft` command declares (bin/weft.js's first line).
// With --compiled each checkout is first compiled to JavaScript (tsc, as `npm run build` does for
// dist/) and runs without tsx, as the installed `weft` does: no TypeScript loader in any thread.
// Run: npx tsx bench/train-side-by-side.ts [--base REF] [--rounds N] [--steps N] [--compiled] [--out FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runInfo } from './run-info.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'b59be37' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '150' },
    config: { type: 'string', default: 'fused' },
    out: { type: 'string', default: 'bench/results/train-side-by-side.json' },
    compiled: { type: 'boolean', default: false },
  },
});

const head = resolve('.');
const baseDir = mkdtempSync(join(os.tmpdir(), 'weft-base-'));
execFileSync('git', ['worktree', 'add', '--detach', baseDir, values.base!], { stdio: 'ignore' });
symlinkSync(join(head, 'node_modules'), join(baseDir, 'node_modules'));
const baseCommit = execFileSync('git', ['rev-parse', values.base!]).toString().trim();

const ADDON = join('native', 'build', 'Release', 'weft_native.node');
/**
 * The kernels a checkout runs with. A fresh worktree has no native/build: the base builds its own
 * addon (as `npm install` would), or it would run the wasm fallback and flatter this commit.
 */
function kernelsOf(dir: string): 'native' | 'wasm' {
  if (existsSync(join(dir, 'scripts', 'build-native.mjs')) && !existsSync(join(dir, ADDON)))
    execFileSync('node', ['scripts/build-native.mjs'], { cwd: dir, stdio: 'inherit' });
  return existsSync(join(dir, ADDON)) ? 'native' : 'wasm';
}
const kernels = { base: kernelsOf(baseDir), head: kernelsOf(head) };
console.log(`kernels: base ${kernels.base}, head ${kernels.head}`);

/** The node flags on bin/weft.js's `#!/usr/bin/env -S node …` line: how that checkout's `weft` runs. */
function nodeFlagsOf(dir: string): string {
  const first = readFileSync(join(dir, 'bin', 'weft.js'), 'utf8').split('\n', 1)[0];
  return /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)?.[1].trim() ?? '';
}
const nodeFlags = { base: nodeFlagsOf(baseDir), head: nodeFlagsOf(head) };
console.log(`node flags: base '${nodeFlags.base}', head '${nodeFlags.head}'`);

const COMPILED = '.side-by-side-js';
/** Compiles `dir`'s sources (bench/ included) beside them, with this checkout's TypeScript. */
function compile(dir: string): void {
  rmSync(join(dir, COMPILED), { recursive: true, force: true });
  const tsc = join(head, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', COMPILED];
  // Type errors from a newer TypeScript than the old commit's do not stop the emit.
  spawnSync('node', [tsc, ...args, '--rootDir', '.', '--allowJs', '--sourceMap', 'false'], {
    cwd: dir,
    stdio: 'ignore',
  });
  if (!existsSync(join(dir, COMPILED, 'bench', 'train.js')))
    throw new Error(`${dir}: compiling bench/train.ts wrote nothing`);
}
if (values.compiled) for (const dir of [baseDir, head]) compile(dir);

interface Run {
  seeds_per_s: number;
  end_to_end_seeds_per_s: number;
  step_ms: number;
  compute_ms: number;
  wait_ms: number;
  sync_ms: number;
  /** The producer's time per batch on the sampler thread: sample + gather + first-layer mean. */
  producer_ms: number;
  /** User + system CPU seconds of the whole process (start-up and evaluation included). */
  cpu_s: number;
  /** Seeds trained over the process's CPU seconds. */
  seeds_per_cpu_s: number;
  peak_rss_bytes: number;
  loadavg: number;
}

/** One bench/train.ts run in `dir` under /usr/bin/time, with `flags` for node; its results file read back. */
function runIn(dir: string, flags: string): Run {
  const timeFile = join(baseDir, '..', `weft-time-${process.pid}.txt`);
  const loadavg = os.loadavg()[0];
  execFileSync(
    '/usr/bin/time',
    ['-f', '%U %S %M', '-o', timeFile]
      .concat(
        values.compiled ? ['node', `${COMPILED}/bench/train.js`] : ['npx', 'tsx', 'bench/train.ts'],
      )
      .concat(['--configs', values.config!, '--steps', values.steps!]),
    {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flags}`.trim() },
    },
  );
  const [user, sys] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number);
  // Both checkouts write their bench/results/train.json (this one's is restored at the end).
  const r = JSON.parse(readFileSync(join(dir, 'bench/results/train.json'), 'utf8')) as {
    runs: { results: { throughput: Record<string, number>; peak_rss_bytes: number } }[];
  };
  const res = r.runs[0].results;
  const t = res.throughput;
  const cpu = user + sys;
  return {
    seeds_per_s: t.seeds_per_s,
    end_to_end_seeds_per_s: t.end_to_end_seeds_per_s ?? 0,
    step_ms: t.step_s * 1000,
    compute_ms: t.compute_s * 1000,
    wait_ms: t.queue_wait_s * 1000,
    sync_ms: t.sync_s * 1000,
    producer_ms: t.sample_s * 1000,
    cpu_s: cpu,
    seeds_per_cpu_s: (Number(values.steps) * 1024) / cpu,
    peak_rss_bytes: res.peak_rss_bytes,
    loadavg,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const before = readFileSync(join(head, 'bench/results/train.json'), 'utf8');
const base: Run[] = [];
const cur: Run[] = [];
try {
  for (let k = 0; k < Number(values.rounds); k++) {
    // Alternate which goes first, so neither always runs on a warmer page cache.
    const order = k % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    for (const which of order) {
      const r = which === 'base' ? runIn(baseDir, nodeFlags.base) : runIn(head, nodeFlags.head);
      (which === 'base' ? base : cur).push(r);
      console.log(
        `round ${k} ${which}: ${Math.round(r.seeds_per_s)} seeds/s, compute ${r.compute_ms.toFixed(1)} ms, ` +
          `producer ${r.producer_ms.toFixed(1)} ms, ${r.cpu_s.toFixed(2)} CPU s = ` +
          `${r.seeds_per_cpu_s.toFixed(0)} seeds/CPU s, peak RSS ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB ` +
          `(load ${r.loadavg.toFixed(1)})`,
      );
    }
  }
} finally {
  // This checkout's own results file is the full bench's, not these runs'.
  writeFileSync(join(head, 'bench/results/train.json'), before);
  execFileSync('git', ['worktree', 'remove', '--force', baseDir], { stdio: 'ignore' });
  rmSync(join(head, COMPILED), { recursive: true, force: true });
}
const b = median(base.map((r) => r.seeds_per_s));
const h = median(cur.map((r) => r.seeds_per_s));
// Each round's pair ran back to back: their ratio cancels most of the machine's load swings.
const ratios = cur.map((r, k) => r.seeds_per_s / base[k].seeds_per_s);
const medians = (runs: Run[]) =>
  Object.fromEntries(
    (Object.keys(runs[0]) as (keyof Run)[]).map((k) => [k, median(runs.map((r) => r[k]))]),
  );
const out = {
  ...runInfo('train-side-by-side'),
  base_commit: baseCommit,
  kernels,
  node_flags: nodeFlags,
  config: values.config,
  runs_as: values.compiled ? 'compiled JavaScript (tsc), no tsx' : 'TypeScript through tsx',
  steps_per_run: Number(values.steps),
  graph: 'powerlaw 1M nodes / 20M edges, 64-d; GraphSAGE 2x128, fanout [15,10], batch 1024, Adam',
  base_runs: base,
  head_runs: cur,
  base_medians: medians(base),
  head_medians: medians(cur),
  base_median_seeds_per_s: b,
  head_median_seeds_per_s: h,
  head_over_base: h / b,
  paired_ratios: ratios,
  paired_ratio_median: median(ratios),
};
writeFileSync(values.out!, `${JSON.stringify(out, null, 2)}\n`);
const ratioOf = (k: keyof Run) => median(cur.map((r) => r[k])) / median(base.map((r) => r[k]));
console.log(
  `median: base ${Math.round(b)}, head ${Math.round(h)} seeds/s (head/base ${(h / b).toFixed(3)}); ` +
    `seeds/CPU s ${ratioOf('seeds_per_cpu_s').toFixed(3)}x, CPU s ${ratioOf('cpu_s').toFixed(3)}x, ` +
    `peak RSS ${ratioOf('peak_rss_bytes').toFixed(3)}x`,
);
