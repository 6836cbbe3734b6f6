// The job's densify step: a spec with densify.enabled trains on a version written once beside the
// graph and reused; a process handed the version keeps it; bad fields name the spec's line.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withGraphVersion } from '../../../actors/coordinator/densify-step.js';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import { readManifest } from '../../../graph-store/manifest.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { tempDir } from '../../graph-store/helpers.js';

const tmp = tempDir('weft-densify-step-');
afterAll(tmp.cleanup);

describe('withGraphVersion', () => {
  it('writes the densified version once and points the job at it', async () => {
    const graph = join(tmp.dir, 'market');
    await synthMarketplace({ members: 400, seed: 3, coldMembers: 0.2 }, graph);
    const spec = applyOverrides(defaultJobSpec(), {
      graph,
      task: 'link',
      'densify.enabled': true,
      'densify.nodeType': 'member',
      'densify.k': 5,
    });
    const off = await withGraphVersion({ ...spec, densify: { ...spec.densify, enabled: false } });
    expect(off.graph).toBe(graph);
    const first = await withGraphVersion(spec);
    expect(first.graph).toMatch(/market\.versions\/densify-[0-9a-f]{12}$/);
    const m = readManifest(first.graph);
    expect(m.edgeTypes.at(-1)).toMatchObject({ src: 'member', rel: 'similar', dst: 'member' });
    expect(m.edgeTypes.at(-1)!.hasTimestamps).toBe(true);
    const written = statSync(join(first.graph, 'manifest.json')).mtimeMs;
    const again = await withGraphVersion(spec);
    expect(again.graph).toBe(first.graph);
    expect(statSync(join(first.graph, 'manifest.json')).mtimeMs).toBe(written);
    // A process given the version (weft launch hands it on) does not densify it again.
    expect((await withGraphVersion(first)).graph).toBe(first.graph);
    // Other parameters, another version.
    const k7 = await withGraphVersion(applyOverrides(spec, { 'densify.k': 7 }));
    expect(k7.graph).not.toBe(first.graph);
    expect(existsSync(k7.graph)).toBe(true);
  });

  it('names the spec line of a bad densify field', () => {
    const text = 'graph: g\ndensify:\n  enabled: true\n  lowPercentile: 95\n';
    expect(() => parseJobSpec(text, 'job.yaml')).toThrow(
      /job\.yaml:4.*densify\.lowPercentile.*below highPercentile/,
    );
    expect(() => parseJobSpec('densify:\n  k: 0\n', 'job.yaml')).toThrow(/densify\.k/);
  });
});
