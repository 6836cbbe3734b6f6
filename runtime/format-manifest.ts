// Reading the manifest.json of a versioned on-disk format (checkpoints, embedding versions): a file
// that cannot be read or parsed, or that names another format or version, is an InputError naming it.
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** Parses the manifest at `path` (`what` names it in errors) and checks its format and version. */
export function readFormatManifest<T extends { format: string; version: number }>(
  path: string,
  what: string,
  format: string,
  version: number,
): T {
  let m: T;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new InputError(
      `cannot read ${what} manifest: ${(err as Error).message}`,
      { file: path },
      { cause: err },
    );
  }
  if (m?.format !== format || m.version !== version) {
    throw new InputError(`not a ${format} v${version} manifest`, { file: path, field: 'format' });
  }
  return m;
}
