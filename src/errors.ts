/** Error codes shared by the CLI, the bot and the services. */
export type ErrorCode =
  | 'bad_argument'
  | 'not_found'
  | 'ambiguous'
  | 'conflict'
  | 'forbidden'
  | 'not_initialised'
  | 'config'
  | 'lark'
  | 'internal';

/**
 * An error whose message is meant for the person who caused it (CLI stderr, chat reply).
 * `field` names the argument at fault when there is one.
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
