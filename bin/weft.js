#!/usr/bin/env node
// Entry point of the `weft` command: loads the TypeScript CLI through tsx (worker threads do the same).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(pathToFileURL(join(root, 'cli', 'main.ts')).href);
