/**
 * The one error type for things a person can fix: a bad argument, a missing unit, a refused
 * permission, a bad environment variable (code 'config'), an invalid plan file (PlanError, a
 * UserError with the list of problems). Each edge maps errors in one function: the CLI
 * (`cliFailure`), the service entry (`startupFailure`), the chat (`replyForError`) and card
 * buttons (`toastForError`). Anything that is not a UserError is a bug: logged, never shown.
 */
export type ErrorCode =
  | 'bad_argument'
  | 'not_found'
  | 'ambiguous'
  | 'conflict'
  | 'forbidden'
  | 'not_initialised'
  | 'config'
  | 'internal';

/**
 * An error whose message is meant for the person who caused it (CLI stderr, chat reply).
 * `field` names the argument (or environment variable) at fault when there is one.
 */
export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

export const isUserError = (e: unknown): e is UserError => e instanceof UserError;

/**
 * A command did its work and found it wrong (a copy that does not read back the same): the CLI
 * prints the message and exits 1, as for an unexpected failure, but without calling it a bug.
 */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}
