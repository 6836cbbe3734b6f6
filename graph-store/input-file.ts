// Reading an input file the user named (edge list, features, labels): one that cannot be opened is an
// InputError naming the file and its flag, and the descriptor is closed however the reading ends.
import { closeSync, openSync } from 'node:fs';
import { InputError } from '../runtime/errors.js';

/** Opens `file` for reading, hands its descriptor to `read` and closes it afterwards. */
export function withInputFile<T>(file: string, field: string, read: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError('cannot open file', { file, field }, { cause: err });
  }
  try {
    return read(fd);
  } finally {
    closeSync(fd);
  }
}
