import { UserError } from '../../src/errors.js';

/** Runs `fn` and returns the UserError it throws; fails the test when it throws nothing. */
export function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}
