// The Dockerfile read statically (Docker itself may be absent): a pinned maintained Node base that
// package.json's engines and the README agree with, a build stage and a production-only runtime stage
// copied by allow-list, a non-root user, and the entry point the rendered pods call.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultJobSpec } from '../../actors/job-spec.js';
import { renderK8s } from '../../deploy/k8s/render.js';
import { dockerIgnored, dockerStages, repoRoot } from '../helpers/dockerfile.js';

const stages = dockerStages();
const runtime = stages.at(-1)!;
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

function lines(stage: (typeof stages)[number], op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

describe('Dockerfile', () => {
  it('pins one exact Node LTS release that engines and the README accept', () => {
    const images = new Set(stages.map((s) => s.image));
    expect(images.size).toBe(1);
    const [image] = images;
    const m = /^node:(\d+)\.(\d+)\.(\d+)-(bookworm|trixie)-slim$/.exec(image);
    expect(m, image).not.toBeNull();
    const major = Number(m![1]);
    // Even majors are the LTS lines; 20 reached its end of life in April 2026.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    const min = /^>=(\d+)/.exec(pkg.engines.node);
    expect(min, pkg.engines.node).not.toBeNull();
    expect(major).toBeGreaterThanOrEqual(Number(min![1]));
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ${min![1]} or newer`);
    expect(readme).toContain(image);
  });

  it('builds in one stage and installs production dependencies only in the runtime stage', () => {
    expect(stages).toHaveLength(2);
    const [build] = stages;
    expect(lines(build, 'RUN')).toContain('npm run build');
    const installs = lines(runtime, 'RUN').filter((l) => l.includes('npm '));
    expect(installs.some((l) => /npm ci\b.*--omit=dev/.test(l))).toBe(true);
    expect(stages.flatMap((s) => lines(s, 'RUN')).some((l) => /npm install\b/.test(l))).toBe(false);
    // The lockfile goes in before `npm ci`, which refuses to run without it.
    for (const stage of stages) {
      const copyLock = stage.instructions.findIndex(
        (i) => i.op === 'COPY' && i.args.includes('package-lock.json'),
      );
      const ci = stage.instructions.findIndex((i) => i.op === 'RUN' && i.args.includes('npm ci'));
      expect(copyLock).toBeGreaterThanOrEqual(0);
      expect(copyLock).toBeLessThan(ci);
    }
    // The runtime stage takes the build's dist/ and no sources.
    expect(lines(runtime, 'COPY')).toContain(`--from=${build.name} /src/dist dist`);
    for (const copy of lines(runtime, 'COPY')) {
      expect(copy).not.toMatch(/\b(actors|bench|cli|runtime|kernels|graph-store|tsconfig)/);
    }
  });

  it('copies by allow-list, never the whole context', () => {
    for (const stage of stages) {
      for (const copy of lines(stage, 'COPY')) expect(copy).not.toMatch(/^(--\S+ )*\. /);
    }
  });

  it('runs weft as a non-root user, the entry point the rendered pods call with `actor`', () => {
    expect(lines(runtime, 'ENTRYPOINT')).toEqual([
      '["node", "--max-semi-space-size=2", "/app/bin/weft.js"]',
    ]);
    expect(lines(runtime, 'WORKDIR')).toEqual(['/app']);
    expect(lines(runtime, 'USER')).toEqual(['node']);
    const jobset = renderK8s({ ...defaultJobSpec(), graph: 'data/g' }).find(
      (m) => m.file === 'jobset.yaml',
    )!;
    const rjobs = (
      jobset.object.spec as {
        replicatedJobs: {
          template: {
            spec: {
              template: {
                spec: { securityContext: { runAsUser: number }; containers: { args: string[] }[] };
              };
            };
          };
        }[];
      }
    ).replicatedJobs;
    for (const rj of rjobs) {
      const pod = rj.template.spec.template.spec;
      expect(pod.containers[0].args[0]).toBe('actor');
      // The image's `node` user: uid 1000 in the official Node images.
      expect(pod.securityContext.runAsUser).toBe(1000);
    }
  });

  it('sends only the sources and configs to the build', () => {
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'index.ts',
      'bin/weft.js',
      'cli/main.ts',
      'runtime/worker-bootstrap.mjs',
      'actors/job-spec.ts',
      'kernels/x.ts',
      'graph-store/types.ts',
      'deploy/k8s/render.ts',
      'deploy/prometheus/rules.yml',
      'deploy/grafana/weft.json',
      'bench/ablation.ts',
    ]) {
      expect(dockerIgnored(needed), needed).toBe(false);
    }
    for (const kept of [
      'node_modules/yaml/index.js',
      '.git/HEAD',
      'test/x.test.ts',
      'runs/a/results.json',
      'data/cora/x',
      'dist/index.js',
      '.env',
      'notes.md',
      'deploy/prometheus/targets/cora.json',
      'bench/results/run.json',
      'bench/NOTES.md',
    ]) {
      expect(dockerIgnored(kept), kept).toBe(true);
    }
  });
});
