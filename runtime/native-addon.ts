// Finds and loads the native addon (native/, built by node-gyp at `npm install`) once per process, or
// says why not. kernels/native/addon.ts types and reports it; graph-store's checksum uses it directly.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = path.join('native', 'build', 'Release', 'weft_native.node');

export interface LoadedAddon {
  /** The module's exports, or null when it is not used. */
  module: unknown;
  /** Why it is not used (set exactly when module is null). */
  reason?: string;
  file?: string;
}

let loaded: LoadedAddon | undefined;

/** The package root holding native/: walk up from this file (runtime/ or dist/runtime/). */
function findAddon(): { file: string; root: string } | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'native', 'binding.gyp')) || existsSync(path.join(dir, ADDON)))
      return { file: path.join(dir, ADDON), root: dir };
    dir = path.dirname(dir);
  }
  return undefined;
}

function notBuiltReason(root: string): string {
  try {
    const s = JSON.parse(readFileSync(path.join(root, 'native', 'build', 'status.json'), 'utf8'));
    if (typeof s.reason === 'string') return `addon not built: ${s.reason}`;
  } catch {
    // No status file: the install script never ran (e.g. npm ci --ignore-scripts).
  }
  return 'addon not built (run npm run build:native; needs a C++ compiler, make and python3)';
}

function load(): LoadedAddon {
  // WEFT_KERNELS=wasm forces the fallback everywhere; kernels/native/addon.ts checks the value.
  if ((process.env.WEFT_KERNELS ?? '').trim() === 'wasm')
    return { module: null, reason: 'forced by WEFT_KERNELS=wasm' };
  const found = findAddon();
  if (found === undefined) return { module: null, reason: 'native/ not found' };
  if (!existsSync(found.file)) return { module: null, reason: notBuiltReason(found.root) };
  try {
    return { module: createRequire(import.meta.url)(found.file) as unknown, file: found.file };
  } catch (err) {
    const msg = (err as Error)?.message?.split('\n')[0] ?? String(err);
    return { module: null, reason: `addon failed to load: ${msg}` };
  }
}

/** The addon, loaded on first use. */
export function nativeAddon(): LoadedAddon {
  loaded ??= load();
  return loaded;
}
