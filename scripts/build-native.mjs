// Builds the native kernels (native/, N-API) with node-gyp at `npm install` / `npm ci`. Never fails
// the install: without a compiler (or headers) Weft runs on the wasm kernels, and the reason is kept
// in native/build/status.json for kernels/native/addon.ts to report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const statusFile = path.join(nativeDir, 'build', 'status.json');

function writeStatus(ok, reason) {
  mkdirSync(path.dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ok, reason, at: new Date().toISOString() }) + '\n');
}

/** node-gyp: the one npm runs lifecycle scripts with, else the copy bundled with npm. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((c) => c !== undefined && c !== '' && existsSync(c));
}

/** Node's own headers when installed beside it: no download needed (the build works offline). */
function nodeDirArgs() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];
}

function main() {
  if (process.env.WEFT_SKIP_NATIVE_BUILD === '1') {
    writeStatus(false, 'build skipped (WEFT_SKIP_NATIVE_BUILD=1)');
    return;
  }
  const gyp = nodeGyp();
  if (gyp === undefined) {
    writeStatus(false, 'node-gyp not found');
    console.log('weft: native kernels not built (node-gyp not found), using wasm');
    return;
  }
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...nodeDirArgs()], {
    cwd: nativeDir,
    encoding: 'utf8',
  });
  if (r.status === 0) {
    writeStatus(true, 'built');
    return;
  }
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n');
  // The most telling line first: a missing compiler or tool, then node-gyp's own error.
  const line =
    lines.find((l) => /not found|No such file or directory/.test(l)) ??
    lines.find((l) => /Error:/.test(l)) ??
    lines.find((l) => /error/i.test(l));
  const why = (line ?? r.error?.message ?? `exit ${r.status}`).replace(/^gyp ERR! (stack )?/, '');
  const reason = `node-gyp rebuild failed: ${why.trim().slice(0, 300)}`;
  writeStatus(false, reason);
  console.log(`weft: native kernels not built (${reason}), using wasm`);
}

try {
  main();
} catch (err) {
  console.log(`weft: native kernels not built (${err?.message ?? err}), using wasm`);
}
