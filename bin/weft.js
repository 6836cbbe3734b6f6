#!/usr/bin/env node
// Entry point of the `weft` command: runs the compiled CLI in dist/ (built by `npm ci` / `npm run build`).
// Without a build, or with WEFT_SOURCE=1 (the tests), it runs the TypeScript sources through tsx.
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
