// Test helper: builds the image's file tree without Docker by replaying the Dockerfile's steps into
// folders (one per stage, standing for its root filesystem), and runs its entry point the way a pod
// does: in a private mount namespace whose root filesystem is read-only, as the image's user, with
// only the volumes' mount points writable. Needs root, unshare and setpriv (util-linux).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';
import { dockerIgnored, dockerStages, repoRoot, type Stage } from './dockerfile.js';

/** uid and gid of the official Node images' `node` user. */
export const IMAGE_UID = 1000;

export interface ImageTree {
  /** Folder standing for the runtime stage's root filesystem. */
  readonly root: string;
  /** The runtime stage's WORKDIR, as a path inside the image ('/app'). */
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly user: string;
  readonly entrypoint: string[];
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
}

function inImage(state: StageState, p: string): string {
  return path.join(state.root, path.posix.isAbsolute(p) ? p : path.posix.join(state.workdir, p));
}

function chownTree(p: string): void {
  chownSync(p, IMAGE_UID, IMAGE_UID);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(path.join(p, e));
}

function copy(state: StageState, args: string, done: Map<string, StageState>): void {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const [dest, ...sourcesReversed] = words.filter((w) => !w.startsWith('--')).reverse();
  const sources = sourcesReversed.reverse();
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  const fromStage = from === undefined ? undefined : done.get(from);
  if (from !== undefined && !fromStage) throw new Error(`COPY --from=${from}: no such stage`);
  const target = inImage(state, dest);
  const intoDir = sources.length > 1 || dest.endsWith('/');
  for (const src of sources) {
    const abs = fromStage ? path.join(fromStage.root, src) : path.join(repoRoot, src);
    const isDir = statSync(abs).isDirectory();
    if (!fromStage && !isDir && dockerIgnored(src)) {
      throw new Error(`COPY ${src}: kept out by .dockerignore`);
    }
    const to = intoDir && !isDir ? path.join(target, path.basename(src)) : target;
    mkdirSync(path.dirname(to), { recursive: true });
    // Folders are walked whatever the patterns say (an exception may re-include files inside them).
    cpSync(abs, to, {
      recursive: true,
      filter: (p) =>
        fromStage !== undefined ||
        statSync(p).isDirectory() ||
        !dockerIgnored(path.relative(repoRoot, p)),
    });
    if (flags.some((f) => f.startsWith('--chown='))) chownTree(to);
  }
}

/** Whether a program is on this machine's PATH. */
function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
}

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, WEFT_SOURCE: '' },
  });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * One RUN line, command by command. Only the commands the Dockerfile uses are known; another one fails
 * here until this replay learns it. `npm ci` of every dependency (the build stage) links this
 * checkout's node_modules, installed from the same lockfile; `npm ci --omit=dev` runs for real, from
 * the npm cache; `npm cache clean` is skipped (here it would empty this machine's cache).
 */
function run(state: StageState, line: string): void {
  const cwd = inImage(state, '.');
  mkdirSync(cwd, { recursive: true });
  for (const command of line.split(' && ').map((c) => c.trim())) {
    const words = command.split(' ');
    if (/^npm ci\b/.test(command) && words.includes('--omit=dev')) {
      sh('npm', [...words.slice(1), '--offline'], cwd);
    } else if (/^npm ci\b/.test(command)) {
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(cwd, 'node_modules'));
    } else if (command === 'npm run build' || command === 'npm run build:native') {
      sh('npm', ['run', command.slice('npm run '.length)], cwd);
    } else if (command === 'apt-get update' || /^rm -rf \/var\/lib\/apt\/lists\b/.test(command)) {
      continue; // the replay uses this machine's toolchain; its package lists are left alone
    } else if (/^apt-get install\b/.test(command)) {
      const missing = words.slice(2).filter((w) => !w.startsWith('-') && !onPath(w));
      if (missing.length > 0) throw new Error(`the image replay needs ${missing.join(', ')} here`);
    } else if (words[0] === 'test' && words[1] === '-f') {
      if (!existsSync(inImage(state, words[2]))) throw new Error(`test -f ${words[2]}: missing`);
    } else if (/^npm cache clean\b/.test(command)) {
      continue;
    } else if (words[0] === 'mkdir' && words[1] === '-p') {
      for (const d of words.slice(2)) mkdirSync(inImage(state, d), { recursive: true });
    } else if (words[0] === 'chown' && words[1] === 'node:node') {
      for (const p of words.slice(2)) chownTree(inImage(state, p));
    } else {
      throw new Error(`the image replay does not know this RUN command: ${command}`);
    }
  }
}

function replayStage(stage: Stage, root: string, done: Map<string, StageState>): StageState {
  const state: StageState = { root, workdir: '/', env: {}, user: 'root', entrypoint: [] };
  mkdirSync(root, { recursive: true });
  for (const { op, args } of stage.instructions) {
    if (op === 'WORKDIR') state.workdir = path.posix.resolve(state.workdir, args);
    else if (op === 'COPY') copy(state, args, done);
    else if (op === 'RUN') run(state, args);
    else if (op === 'ENV') {
      const [k, ...v] = args.split('=');
      state.env[k] = v.join('=');
    } else if (op === 'USER') state.user = args;
    else if (op === 'ENTRYPOINT') state.entrypoint = JSON.parse(args) as string[];
    else if (!['EXPOSE', 'CMD', 'ARG', 'LABEL'].includes(op)) {
      throw new Error(`the image replay does not know ${op}`);
    }
  }
  return state;
}

/** Replays every stage of the Dockerfile under `dir`; returns the runtime (last) stage's tree. */
export function buildImageTree(dir: string): ImageTree {
  const done = new Map<string, StageState>();
  let last: StageState | undefined;
  for (const [i, stage] of dockerStages().entries()) {
    last = replayStage(stage, path.join(dir, `stage-${i}`), done);
    if (stage.name) done.set(stage.name, last);
  }
  if (!last) throw new Error('the Dockerfile has no stage');
  return last;
}

/** The build stage's toolchain (its apt-get install line) missing from this machine. */
export function missingBuildTools(): string[] {
  const install = dockerStages()
    .flatMap((s) => s.instructions)
    .filter((i) => i.op === 'RUN')
    .flatMap((i) => i.args.split(' && '))
    .find((c) => /^apt-get install\b/.test(c.trim()));
  if (install === undefined) return [];
  return install
    .trim()
    .split(' ')
    .slice(2)
    .filter((w) => !w.startsWith('-') && !onPath(w));
}

/** True when this machine can run the image tree sandboxed (root, unshare and setpriv present). */
export function canSandbox(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'setpriv', '--help'], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

/**
 * Runs the image's entry point with `args`, as its user, in WORKDIR, with the root filesystem read-only
 * and `volumes` (paths inside the image) bind-mounted writable over it, as a pod's volumes are.
 */
export function runImage(
  tree: ImageTree,
  args: string[],
  volumes: string[],
): SpawnSyncReturns<string> {
  if (tree.user !== 'node') throw new Error(`the replay maps only the node user, not ${tree.user}`);
  const [program, ...rest] = tree.entrypoint;
  const argv = [
    program === 'node' ? process.execPath : program,
    ...rest.map((a) => (path.posix.isAbsolute(a) ? path.join(tree.root, a) : a)),
    ...args,
  ];
  const mounts = volumes.map((v) => path.join(tree.root, v));
  const script = [
    ...mounts.map((_, i) => `mount --bind "$${i + 1}" "$${i + 1}"`),
    'mount -o remount,bind,ro /',
    `shift ${mounts.length}`,
    `exec setpriv --reuid=${IMAGE_UID} --regid=${IMAGE_UID} --clear-groups -- "$@"`,
  ].join(' && ');
  return spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...mounts, ...argv],
    {
      cwd: path.join(tree.root, tree.workdir),
      encoding: 'utf8',
      timeout: 300_000,
      // The image's environment: no TMPDIR (so /tmp, read-only here), a home that does not exist.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/node', ...tree.env },
    },
  );
}
