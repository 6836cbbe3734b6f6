import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultJobSpec } from '../../actors/job-spec.js';
import { renderK8s } from '../../deploy/k8s/render.js';

const root = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

// .dockerignore patterns as Docker reads them: paths from the context root, * within a segment.
function ignored(relPath: string): boolean {
  const patterns = readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '§§')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/§§/g, '.*')}(/.*)?$`,
    );
    if (re.test(relPath)) out = !negate;
  }
  return out;
}

describe('Dockerfile', () => {
  it('builds on node:20-slim with production dependencies only', () => {
    const from = instructions.filter((l) => l.startsWith('FROM '));
    expect(from).toEqual(['FROM node:20-slim']);
    const installs = instructions.filter((l) => l.startsWith('RUN ') && l.includes('npm '));
    expect(installs.some((l) => /npm ci\b.*--omit=dev/.test(l))).toBe(true);
    expect(instructions.some((l) => /npm install\b/.test(l))).toBe(false);
    // The lockfile goes in before `npm ci`, which refuses to run without it.
    const copyLock = instructions.findIndex(
      (l) => l.startsWith('COPY') && l.includes('package-lock.json'),
    );
    const ci = instructions.findIndex((l) => l.includes('npm ci'));
    expect(copyLock).toBeGreaterThanOrEqual(0);
    expect(copyLock).toBeLessThan(ci);
  });

  it('runs weft as its entry point, which the rendered pods call with `actor`', () => {
    expect(instructions.filter((l) => l.startsWith('ENTRYPOINT'))).toEqual(['ENTRYPOINT ["weft"]']);
    expect(instructions.some((l) => l.includes('ln -s /app/bin/weft.js /usr/local/bin/weft'))).toBe(
      true,
    );
    expect(instructions).toContain('WORKDIR /app');
    expect(instructions.some((l) => /^USER (?!root)/.test(l))).toBe(true);
    const jobset = renderK8s({ ...defaultJobSpec(), graph: 'data/g' }).find(
      (m) => m.file === 'jobset.yaml',
    )!;
    const rjobs = (
      jobset.object.spec as {
        replicatedJobs: {
          template: { spec: { template: { spec: { containers: { args: string[] }[] } } } };
        }[];
      }
    ).replicatedJobs;
    for (const rj of rjobs)
      expect(rj.template.spec.template.spec.containers[0].args[0]).toBe('actor');
  });

  it('sends the sources to the build and keeps the rest out', () => {
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'bin/weft.js',
      'cli/main.ts',
      'runtime/worker-bootstrap.mjs',
      'actors/job-spec.ts',
      'kernels/x.ts',
      'graph-store/types.ts',
      'deploy/k8s/render.ts',
    ]) {
      expect(ignored(needed), needed).toBe(false);
    }
    for (const kept of [
      'node_modules/yaml/index.js',
      '.git/HEAD',
      'test/x.test.ts',
      'runs/a/results.json',
      'data/cora/x',
    ]) {
      expect(ignored(kept), kept).toBe(true);
    }
  });
});
