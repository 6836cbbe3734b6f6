// The Prometheus file_sd targets file of a launched job: where each process serves /metrics, with the
// one target label weft_actor (<job>/<role>/<index>); written only once every process has bound.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../runtime/atomic-write.js';

/** One process's metrics address, as its process reported it after binding. */
export interface ScrapeTarget {
  role: string;
  index: number;
  /** host:port */
  address: string;
}

/** One entry of a file_sd file. */
export interface FileSdEntry {
  targets: string[];
  labels: { weft_actor: string };
}

/**
 * The file_sd entries of a job's processes. The only label is weft_actor: the series carry their
 * own weft_job/role/index, and a target label of the same name would collide with them.
 */
export function targetEntries(job: string, targets: readonly ScrapeTarget[]): FileSdEntry[] {
  return targets.map((t) => ({
    targets: [t.address],
    labels: { weft_actor: `${job}/${t.role}/${t.index}` },
  }));
}

/** The folder of the package (where package.json is), from this file, compiled or source. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/**
 * Where `weft launch` writes targets files: `WEFT_TARGETS_DIR` when set, else the
 * deploy/prometheus/targets folder of this installation, beside the shipped prometheus.yml that
 * reads it. Absolute, whatever the current directory.
 */
export function defaultTargetsDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.WEFT_TARGETS_DIR;
  if (given) return resolve(given);
  return join(packageRoot(), 'deploy', 'prometheus', 'targets');
}

/**
 * A job's targets file, kept in step with its processes: nothing is written until every expected
 * process has reported the port it bound (so Prometheus never scrapes a port that another job may
 * hold), then the file is rewritten whenever a restarted process reports a new one.
 */
export class TargetsFile {
  readonly path: string;
  private readonly addresses = new Map<string, string>();

  constructor(
    dir: string,
    private readonly job: string,
    private readonly expected: readonly { role: string; index: number }[],
    /** The file's name in `dir` (`weft launch` adds its run directory's hash: targetsFileName). */
    fileName = `${job}.json`,
  ) {
    this.path = join(resolve(dir), fileName);
  }

  /** Whether the file has been written (every process reported). */
  get written(): boolean {
    return this.expected.every((a) => this.addresses.has(`${a.role}/${a.index}`));
  }

  /** Records where a process serves; writes the file once every process is known. */
  report(role: string, index: number, address: string): void {
    const key = `${role}/${index}`;
    if (this.addresses.get(key) === address) return;
    this.addresses.set(key, address);
    if (!this.written) return;
    const targets = this.expected.map((a) => ({
      ...a,
      address: this.addresses.get(`${a.role}/${a.index}`)!,
    }));
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, `${JSON.stringify(targetEntries(this.job, targets), null, 2)}\n`);
  }

  /** Deletes the file, if it was ever written: Prometheus drops the job's targets. */
  remove(): void {
    if (!this.written) return;
    try {
      rmSync(this.path, { force: true });
    } catch {
      // Its folder went away or changed under us: there is nothing left to remove.
    }
  }
}
