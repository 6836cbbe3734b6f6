#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of the `weft` command: runs the compiled CLI in dist/ (built by `npm ci` / `npm run build`).
// Without a build, or with WEFT_SOURCE=1 (the tests), it runs the TypeScript sources through tsx.
// The main thread's semi-spaces are capped at 2 MiB, as every worker's are (runtime/young-generation.ts):
// V8 would grow them to 16 MiB under the pipeline's allocation rate, resident memory that buys nothing.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/cli/main.js', root);
if (process.env.WEFT_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/main.ts', root).href);
}
