// Reading a configuration file a user named (a job spec, a credentials or secret file): one place
// that turns an unreadable file into a ConfigError naming it.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * The text of `file`. An unreadable one throws a ConfigError `cannot read <what>: <reason>` naming
 * the file and, when given, the spec field or flag that named it.
 */
export function readConfigText(file: string, what: string, field?: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read ${what}: ${(error as Error).message}`,
      field === undefined ? { file } : { file, field },
      { cause: error },
    );
  }
}
