// What a call that must refuse its input throws: a ConfigError, or the test fails saying so.
import { ConfigError } from '../../runtime/errors.js';

/** The ConfigError `fn` throws; anything else thrown is rethrown, nothing thrown fails. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
