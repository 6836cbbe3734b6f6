// The commit a benchmark ran on, recorded with its results ('unknown' outside a git checkout), so a
// figure can always be traced to the code that produced it.
import { execSync } from 'node:child_process';

export function gitCommit(): string {
  try {
    return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}
