// Errors that are the user's to fix: printed as one line, never with a stack trace.
export class UserError extends Error {
  readonly userFacing = true;
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
