/**
 * An error caused by the user's input (a file, a column, a flag), not by a bug in mtl.
 * The CLI prints `message` as one paragraph and exits non-zero, never with a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
