// The launcher's Prometheus targets file: absolute wherever weft launch runs, written only once every
// process reported its bound address, rewritten when a restarted process reports a new one.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultTargetsDir,
  targetEntries,
  TargetsFile,
  type FileSdEntry,
} from '../../../actors/distributed/prometheus-targets.js';

const root = path.resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'weft-targets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Prometheus targets file', () => {
  it('lives beside the shipped prometheus.yml unless WEFT_TARGETS_DIR says otherwise', () => {
    expect(defaultTargetsDir({})).toBe(path.join(root, 'deploy', 'prometheus', 'targets'));
    expect(defaultTargetsDir({ WEFT_TARGETS_DIR: 'rel/dir' })).toBe(path.resolve('rel/dir'));
    expect(path.isAbsolute(defaultTargetsDir({ WEFT_TARGETS_DIR: 'x' }))).toBe(true);
  });

  it('labels each target with weft_actor alone', () => {
    expect(targetEntries('cora', [{ role: 'ps', index: 1, address: '127.0.0.1:4000' }])).toEqual([
      { targets: ['127.0.0.1:4000'], labels: { weft_actor: 'cora/ps/1' } },
    ]);
  });

  it('waits for every process, then follows restarts', () => {
    const actors = [
      { role: 'coordinator', index: 0 },
      { role: 'trainer', index: 0 },
      { role: 'trainer', index: 1 },
    ];
    const file = new TargetsFile(path.join(tmp, 'targets'), 'job-a', actors);
    expect(file.path).toBe(path.join(tmp, 'targets', 'job-a.json'));
    const read = () => JSON.parse(readFileSync(file.path, 'utf8')) as FileSdEntry[];
    file.report('trainer', 1, '127.0.0.1:5001');
    file.report('coordinator', 0, '127.0.0.1:5000');
    expect(file.written).toBe(false);
    expect(existsSync(file.path)).toBe(false);
    file.report('trainer', 0, '127.0.0.1:5002');
    expect(file.written).toBe(true);
    expect(read().map((e) => `${e.labels.weft_actor}@${e.targets[0]}`)).toEqual([
      'job-a/coordinator/0@127.0.0.1:5000',
      'job-a/trainer/0@127.0.0.1:5002',
      'job-a/trainer/1@127.0.0.1:5001',
    ]);
    // Trainer 1 restarted on another port.
    file.report('trainer', 1, '127.0.0.1:5009');
    expect(read()[2].targets).toEqual(['127.0.0.1:5009']);
    file.remove();
    expect(existsSync(file.path)).toBe(false);
  });

  it('fails with the path when the folder cannot be written', () => {
    // A file where the folder should be: mkdir fails, as in a read-only installation.
    const blocked = path.join(tmp, 'blocked');
    writeFileSync(blocked, 'not a folder');
    const file = new TargetsFile(path.join(blocked, 'targets'), 'job-b', [
      { role: 'coordinator', index: 0 },
    ]);
    expect(() => file.report('coordinator', 0, '127.0.0.1:1')).toThrow();
  });
});
