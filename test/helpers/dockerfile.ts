// Test helper: the repository's Dockerfile as data (its stages and instructions, ARGs substituted) and
// its .dockerignore as Docker reads it, for the static checks and the replay of the image's steps.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface Instruction {
  /** Upper-case keyword: FROM, COPY, RUN, ... */
  readonly op: string;
  /** The rest of the line, continuations joined. */
  readonly args: string;
}

export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Every instruction of the Dockerfile in order, comments dropped and continuations joined. */
export function dockerInstructions(file = path.join(repoRoot, 'Dockerfile')): Instruction[] {
  return readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s*(.*)$/.exec(l)!;
      return { op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') };
    });
}

/** The stages, with global ARG defaults substituted into FROM lines. */
export function dockerStages(instructions = dockerInstructions()): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'ARG' && stages.length === 0) {
      const [k, v = ''] = ins.args.split('=');
      args[k] = v;
    } else if (ins.op === 'FROM') {
      const resolved = ins.args.replace(/\$\{?(\w+)\}?/g, (_m, k: string) => args[k] ?? '');
      const m = /^(\S+)(?: AS (\S+))?$/i.exec(resolved)!;
      stages.push({ image: m[1], name: m[2], instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

let ignorePatterns: { negate: boolean; re: RegExp }[] | undefined;

/** True when .dockerignore keeps `relPath` (relative to the repository) out of the build context. */
export function dockerIgnored(relPath: string): boolean {
  ignorePatterns ??= readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((raw) => {
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
      return { negate, re };
    });
  let out = false;
  for (const { negate, re } of ignorePatterns) if (re.test(relPath)) out = !negate;
  return out;
}
